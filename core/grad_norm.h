// The global gradient norm and clipping to it: the one place that computes them, for the plain
// data-parallel step (core/data_parallel_sync.h) and ZeRO-1 (parallel/zero1_optimizer.h) alike.
// Each caller sums the squares of the gradient elements it holds; this adds the parts up over the
// job and scales the gradients.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace tf {

// The squares of this rank's gradients in two parts, each an fp64 tensor of one element on the
// device: what is split over the token-parallel group (the token shards, disjoint there), and
// what is replicated over it and counted on this pipeline rank (the tied embedding counts once,
// on the first pipeline rank).
struct GradSquares {
  torch::Tensor token_shards;
  torch::Tensor replicated;
};

// In-place sums over the token-parallel and the pipeline group (collective over the group).
struct NormGroups {
  std::function<void(torch::Tensor&)> sum_over_tp;
  std::function<void(torch::Tensor&)> sum_over_pp;
};

// Returns the global gradient norm, sqrt(sum over pp of (sum over tp of token_shards +
// replicated)), the same on every rank. When `max_norm` > 0 and the norm exceeds it, multiplies
// every defined tensor of `grads` by max_norm / (norm + 1e-6) (an infinite norm too: the caller
// skips the update of a step whose norm is not finite). Collective over the tp and the pp group.
double clip_to_global_norm(GradSquares squares, const NormGroups& groups, double max_norm,
                           const std::vector<torch::Tensor>& grads);

}  // namespace tf
