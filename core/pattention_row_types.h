// What the row-wise part Θ of a Pattention (core/pattention_rows.h) shares with the layer above it
// (core/pattention.h) and with its CUDA half (core/cuda/pattention_rows_cuda.h): the ε of the row
// norm, which Θ, and the pair of gradients the backward of the activation returns. It includes
// nothing of theirs, so neither includes the other to reach these.
#pragma once

#include <torch/torch.h>

#include "core/config_choices.h"

namespace tf {

// Added under the square root of the row norm: an all-zero score row stays finite.
constexpr double kNormEps = 1e-6;

// One Θ: the norm and its scale s₀ (τ, or n for softmax; PattentionImpl::scale()).
struct RowNorm {
  PattentionNorm norm;
  double scale;
};

// The backward of the activation with the statistic t held as an input.
struct RowGradients {
  torch::Tensor scores;  // ∂L/∂A, the part with t fixed, in A's dtype
  torch::Tensor total;   // ∂L/∂t [..., 1], fp32 (or fp64 for fp64 A)
};

}  // namespace tf
