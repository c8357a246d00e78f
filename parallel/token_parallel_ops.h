// TokenParallelOps over a token-parallel group's communicator (docs/model.md, Parameter-token
// parallelism). Each op is a torch::autograd::Function, so autograd produces the prescribed
// backward collectives:
//   enter        identity forward, all-reduce(sum) backward   (X feeds shard-local code)
//   sum_stats    all-reduce(sum) forward and backward          (statistic feeds shard-local code)
//   max_stats    all-reduce(max) forward, no gradient          (softmax shift only)
//   sum_outputs  all-reduce(sum) forward, identity backward    (output feeds replicated code)
// The group must outlive this object; all its ranks must run the same model code in the same
// order (autograd on CPU runs backward on the calling thread in a deterministic order).
#pragma once

#include "core/token_parallel.h"
#include "parallel/communicator.h"

namespace tf::parallel {

class CommTokenParallelOps : public TokenParallelOps {
 public:
  explicit CommTokenParallelOps(Communicator& group) : group_(&group) {}

  torch::Tensor enter(const torch::Tensor& x) const override;
  torch::Tensor sum_stats(const torch::Tensor& s) const override;
  torch::Tensor max_stats(const torch::Tensor& s) const override;
  torch::Tensor sum_outputs(const torch::Tensor& o) const override;
  int64_t rank() const override { return group_->rank(); }
  int64_t size() const override { return group_->size(); }

 private:
  Communicator* group_;
};

}  // namespace tf::parallel
