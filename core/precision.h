// Mixed precision (train.precision): statistics, softmax and losses are computed in at least fp32
// whatever the compute dtype of the activations, and stay fp64 in the fp64 checks.
#pragma once

#include <torch/torch.h>

namespace tf {

inline torch::Tensor at_least_fp32(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat64 ? t : t.to(torch::kFloat32);
}

}  // namespace tf
