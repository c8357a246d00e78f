// The CUDA implementations of the activation half of Θ (core/pattention_rows.h), forward and
// backward, for the three norms. Each returns false, doing nothing, for tensors it does not handle
// (not on a CUDA device, not fp32 or bf16, statistics not one per row) and in a build without CUDA;
// the caller then takes another path.
#pragma once

#include <torch/torch.h>

#include "core/pattention_row_types.h"

namespace tf {

bool rows_cuda_forward(const torch::Tensor& scores, const torch::Tensor& total,
                       const torch::Tensor& row_max, RowNorm norm, torch::Tensor& s);
// With `whole` (a group of one rank, t formed from these scores) out.scores is all of ∂L/∂A and
// out.total stays empty.
bool rows_cuda_backward(const torch::Tensor& grad_s, const torch::Tensor& scores,
                        const torch::Tensor& total, const torch::Tensor& row_max, RowNorm norm,
                        bool whole, RowGradients& out);

}  // namespace tf
