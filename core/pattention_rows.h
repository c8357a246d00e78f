// The row-wise part of an l2_norm_gelu Pattention (docs/model.md, Pattention) between its two
// matmuls, as one autograd function that keeps little:
//   S = gelu(y),  y = A c,  c = τ / sqrt(total + ε),  total = Σ_j A_j² over the whole layer
// `total` [..., 1] (fp32) is the group-reduced statistic: the caller computes the local sums and
// reduces them (ops.sum_stats), so under token parallelism the collectives stay where
// docs/model.md, Parameter-token parallelism, puts them. Saved for the backward pass: A in its own
// dtype (bf16 on GPUs) and `total`; y and gelu′(y) are recomputed, and no fp32 [rows × tokens]
// tensor is kept. Backward, with g = ∂L/∂S ⊙ gelu′(y):
//   ∂L/∂A = c g   (direct part; the caller's local_stat adds 2A ∂L/∂total after sum_stats)
//   ∂L/∂total = −½ c / (total + ε) Σ_j g_j A_j
// which together give the closed form ∂L/∂A = (τ/r)(g − u (uᵀg)) with r = sqrt(total + ε), u = A /
// r.
#pragma once

#include <torch/torch.h>

#include "core/pattention_row_types.h"

namespace tf {

// Σ_j A_j² [..., 1] in at least fp32, the local statistic; saves A in its own dtype (no fp32 copy)
// and returns ∂L/∂A = 2 A ∂L/∂total in A's dtype.
torch::Tensor row_square_sum(const torch::Tensor& scores);

// S [..., n] in A's dtype from A [..., n] and total [..., 1]; differentiable in A and total.
torch::Tensor l2_norm_gelu_rows(const torch::Tensor& scores, const torch::Tensor& total,
                                double tau);

// The two halves of l2_norm_gelu_rows, without autograd (it calls them; tests call them too).
// CPU and any dtype: LibTorch ops in at least fp32. CUDA fp32/bf16 (with core/cuda/): kernels.
torch::Tensor l2_norm_gelu_rows_forward(const torch::Tensor& scores, const torch::Tensor& total,
                                        double tau);
RowGradients l2_norm_gelu_rows_backward(const torch::Tensor& grad_s, const torch::Tensor& scores,
                                        const torch::Tensor& total, double tau);

}  // namespace tf
