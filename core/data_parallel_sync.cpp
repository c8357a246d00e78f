#include "core/data_parallel_sync.h"

#include <chrono>
#include <cmath>

#include "core/device.h"
#include "core/torch_ops.h"

namespace tf {
namespace {

// Sum of the squared gradients of `params`, in fp64 on `device` (no host round trip per tensor).
torch::Tensor sum_of_squares(const std::vector<torch::Tensor>& params, torch::Device device) {
  torch::Tensor total = fp64_zero(device);
  for (const auto& p : params) {
    if (p.grad().defined()) total += p.grad().to(torch::kFloat64).square().sum();
  }
  return total;
}

}  // namespace

DataParallelSync::DataParallelSync(torch::Device device, NormGroups groups)
    : device_(device), groups_(std::move(groups)) {}

GradSquares DataParallelSync::local_squares(const TokenFormer& model) const {
  // Token shards are disjoint across the token-parallel group; everything else is replicated
  // there. Pipeline ranks hold disjoint layers; the tied embedding counts once, on the first.
  std::vector<torch::Tensor> sharded, replicated;
  if (model->pipeline_layers().embeds) replicated.push_back(model->embedding);
  for (const auto& layer : model->pattentions()) {
    sharded.push_back(layer->key_tokens);
    sharded.push_back(layer->value_tokens);
  }
  for (const auto& p : model->no_decay_parameters()) replicated.push_back(p);
  return {sum_of_squares(sharded, device_), sum_of_squares(replicated, device_)};
}

SyncedStep DataParallelSync::step(const StepRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  average_gradients();
  SyncedStep result;
  result.comm_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  zero_frozen_gradients(request.frozen);
  std::vector<torch::Tensor> grads;
  for (const auto& p : request.model->parameters()) grads.push_back(p.grad());
  result.grad_norm =
      clip_to_global_norm(local_squares(request.model), groups_, request.train.grad_clip, grads);
  if (std::isfinite(result.grad_norm)) {
    for (auto& group : request.optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(request.lr);
    }
    FrozenRowsKeeper frozen(request.optimizer, request.frozen);
    torch_ops::adamw_step(request.optimizer);
    frozen.restore();
  }
  return result;
}

}  // namespace tf
