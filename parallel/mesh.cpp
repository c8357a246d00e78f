#include "parallel/mesh.h"

#include "core/error.h"

namespace tf::parallel {

Mesh::Mesh(int64_t world, int64_t tp, int64_t pp) : world_(world), dp_(0), pp_(pp), tp_(tp) {
  if (tp < 1 || pp < 1) throw Error("parallel.tp and parallel.pp must be at least 1");
  if (world % (tp * pp) != 0) {
    throw Error("world size " + std::to_string(world) + " is not divisible by parallel.tp x " +
                "parallel.pp = " + std::to_string(tp) + " x " + std::to_string(pp));
  }
  dp_ = world / (tp * pp);
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
