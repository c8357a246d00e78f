// What the row-wise part of a Pattention (core/pattention_rows.h) shares with the layer above it
// (core/pattention.h) and with its CUDA half (core/cuda/pattention_rows_cuda.h): the ε of the row
// norm and the pair of gradients the backward returns. It includes nothing of theirs, so neither
// includes the other to reach these.
#pragma once

#include <torch/torch.h>

namespace tf {

// Added under the square root of the row norm: an all-zero score row stays finite.
constexpr double kNormEps = 1e-6;

// The backward of the l2_norm_gelu rows.
struct RowGradients {
  torch::Tensor scores;  // ∂L/∂A, direct part, in A's dtype
  torch::Tensor total;   // ∂L/∂total [..., 1], fp32 (or fp64 for fp64 A)
};

}  // namespace tf
