#include "parallel/mesh.h"

#include "core/error.h"
#include "core/layout.h"

namespace tf::parallel {

Mesh::Mesh(int64_t world, int64_t tp, int64_t pp) : world_(world), dp_(0), pp_(pp), tp_(tp) {
  ParallelConfig layout;
  layout.tp = tp;
  layout.pp = pp;
  dp_ = resolve_layout(layout, world, "the mesh").dp;
}

MeshCoords Mesh::coords(int64_t rank) const {
  TF_CHECK(rank >= 0 && rank < world_, "rank ", rank, " of ", world_);
  MeshCoords c;
  c.tp = rank % tp_;
  c.dp = (rank / tp_) % dp_;
  c.pp = rank / (tp_ * dp_);
  return c;
}

int64_t Mesh::rank_of(const MeshCoords& c) const { return (c.pp * dp_ + c.dp) * tp_ + c.tp; }

std::string Mesh::describe() const {
  return "world " + std::to_string(world_) + " = dp " + std::to_string(dp_) + " x pp " +
         std::to_string(pp_) + " x tp " + std::to_string(tp_);
}

}  // namespace tf::parallel
