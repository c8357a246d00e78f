// The CUDA implementations of core/pattention_rows.h's two halves. Each returns false, doing
// nothing, for tensors it does not handle (not on a CUDA device, not fp32 or bf16 with fp32
// totals, not contiguous) and in a build without CUDA; the caller then takes the LibTorch path.
#pragma once

#include <torch/torch.h>

#include "core/pattention_row_types.h"

namespace tf {

bool l2_norm_gelu_rows_cuda_forward(const torch::Tensor& scores, const torch::Tensor& total,
                                    double tau, torch::Tensor& s);
bool l2_norm_gelu_rows_cuda_backward(const torch::Tensor& grad_s, const torch::Tensor& scores,
                                     const torch::Tensor& total, double tau, RowGradients& out);

}  // namespace tf
