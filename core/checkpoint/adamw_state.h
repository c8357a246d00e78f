// Reading and writing LibTorch's AdamW per-parameter state (exp_avg, exp_avg_sq, step), which
// torch::optim keys by the parameter's TensorImpl address.
#pragma once

#include <torch/torch.h>

#include <optional>

namespace tf {

struct AdamWMoments {
  torch::Tensor exp_avg, exp_avg_sq;
  int64_t step = 0;
};

// The state of `param`, or none before its first optimizer step. Tensors are the live ones.
std::optional<AdamWMoments> get_adamw_state(torch::optim::AdamW& optimizer,
                                            const torch::Tensor& param);
// Replaces (or creates) the state of `param`; the tensors are copied.
void set_adamw_state(torch::optim::AdamW& optimizer, const torch::Tensor& param,
                     const AdamWMoments& moments);

}  // namespace tf
