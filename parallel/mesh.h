// The process mesh: world = dp x pp x tp, tp innermost (neighbouring ranks share the fastest
// links), pp outermost. Pure arithmetic; communicators for each group are built from it.
#pragma once

#include <cstdint>
#include <string>

namespace tf::parallel {

struct MeshCoords {
  int64_t dp = 0, pp = 0, tp = 0;
};

class Mesh {
 public:
  // Throws tf::Error when world is not divisible by tp x pp.
  Mesh(int64_t world, int64_t tp, int64_t pp);

  MeshCoords coords(int64_t rank) const;
  int64_t rank_of(const MeshCoords& c) const;

  int64_t world() const { return world_; }
  int64_t dp() const { return dp_; }
  int64_t pp() const { return pp_; }
  int64_t tp() const { return tp_; }
  std::string describe() const;

 private:
  int64_t world_, dp_, pp_, tp_;
};

}  // namespace tf::parallel
