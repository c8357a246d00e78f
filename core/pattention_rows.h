// The row-wise part Θ of a Pattention between its two matmuls (docs/model.md, Normalisations and
// "Fused row passes"), for all three norms, as autograd functions that keep little: each saves the
// scores A in their own dtype and the per-row statistics ([..., 1], at least fp32), and recomputes
// the rest in its backward pass; no fp32 [rows × tokens] tensor outlives the forward.
//
// Split at the statistic t for token parallelism: row_stat gives the local t, the caller reduces it
// over the group (TokenParallelOps::sum_stats, and max_stats for softmax's m), row_activation gives
// S. A group of one rank takes fused_rows, which forms t and S in one pass per row and the whole
// ∂L/∂A in one pass back.
//
// Implementations: CPU kernels (core/cpu/row_kernels.h) for fp32, bf16 and fp64 on CPUs with AVX2;
// CUDA kernels (core/cuda/) for the activation in fp32 and bf16; anything else, and every tensor
// while the reference path is chosen, plain LibTorch autograd through the formulas (the unfused
// reference the tests compare with).
#pragma once

#include <torch/torch.h>

#include "core/pattention_row_types.h"

namespace tf {

// t [..., 1] from A [..., n]; `row_max` [..., 1] is the group's maximum for softmax, else unused.
torch::Tensor row_stat(const torch::Tensor& scores, const torch::Tensor& row_max, RowNorm norm);
// S [..., n] in A's dtype from A, the group's t (and m); differentiable in A and t.
torch::Tensor row_activation(const torch::Tensor& scores, const torch::Tensor& total,
                             const torch::Tensor& row_max, RowNorm norm);
// Θ(A) for a group of one rank.
torch::Tensor fused_rows(const torch::Tensor& scores, RowNorm norm);
// The per-row maxima softmax shifts by, at least fp32 and without gradient: exact, because S does
// not depend on them (docs/model.md, Normalisations).
torch::Tensor row_maxima(const torch::Tensor& scores);

// The plain LibTorch formulas, differentiable by autograd: what the functions above compute.
namespace rows_reference {
torch::Tensor stat(const torch::Tensor& scores, const torch::Tensor& row_max, RowNorm norm);
torch::Tensor activation(const torch::Tensor& scores, const torch::Tensor& total,
                         const torch::Tensor& row_max, RowNorm norm);
}  // namespace rows_reference

// Whether the functions above take their kernels or the reference formulas. The reference is
// chosen by the environment variable TF_PATTENTION_ROWS=reference (read once; for measurements
// and debugging) or, on this thread, while a UseReferenceRows lives (tests).
bool reference_rows_chosen();
class UseReferenceRows {
 public:
  UseReferenceRows();
  ~UseReferenceRows();
  UseReferenceRows(const UseReferenceRows&) = delete;
  UseReferenceRows& operator=(const UseReferenceRows&) = delete;

 private:
  bool before_;
};

}  // namespace tf
