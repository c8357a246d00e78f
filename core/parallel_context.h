// What the training loop needs from the process mesh. core/ only sees this interface; LocalContext
// is the single-process case, parallel/ implements it over communicators.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/token_parallel.h"

namespace tf {

class ParallelContext {
 public:
  virtual ~ParallelContext() = default;

  virtual int64_t world_rank() const { return 0; }
  virtual int64_t world_size() const { return 1; }
  virtual int64_t dp_rank() const { return 0; }
  virtual int64_t dp_size() const { return 1; }
  // The token-parallel group of this rank (tp_rank/tp_size are its rank/size).
  virtual const TokenParallelOps& token_ops() const { return local_ops_; }

  // Averages the gradients of `params` over the data-parallel group (after the last backward of
  // an optimizer step); blocks until done.
  virtual void average_gradients(const std::vector<torch::Tensor>& params) { (void)params; }
  // In-place sums of small fp64 tensors over the data-parallel / token-parallel group.
  virtual void sum_over_dp(torch::Tensor& values) { (void)values; }
  virtual void sum_over_tp(torch::Tensor& values) { (void)values; }
  // Returns world rank 0's `bytes` on every rank (the other ranks' argument is ignored); blocks
  // until all ranks call it. Carries control commands so that every rank applies them at the
  // same step.
  virtual std::string broadcast_from_primary(const std::string& bytes) { return bytes; }
  // One line for the banner, e.g. "world 4 = dp 2 x pp 1 x tp 2".
  virtual std::string describe() const { return "world 1 = dp 1 x pp 1 x tp 1 (single process)"; }

 private:
  TokenParallelOps local_ops_;
};

using LocalContext = ParallelContext;

}  // namespace tf
