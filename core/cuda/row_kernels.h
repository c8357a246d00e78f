// CUDA kernels of the activation half of Θ (core/pattention_rows.h, docs/model.md "Fused row
// passes") for the three norms, on raw pointers so that nvcc compiles them without LibTorch's
// headers. Rows are contiguous, `n` elements each; element types are fp32 or bf16 (`bf16`); the
// per-row statistics (t, softmax's maximum m, ∂L/∂t) are fp32. `norm` is PattentionNorm's value
// (0 l2_norm_gelu, 1 gelu_l2_norm, 2 softmax); `max` is read for softmax only. Both run on
// `stream` and only enqueue work.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace tf::cuda {

struct RowKernelArgs {
  int norm;
  float scale;
  float eps;
  int64_t rows;
  int64_t n;
  bool bf16;
};

// S from A, t and m.
void rows_forward(const RowKernelArgs& args, const void* a, const float* total, const float* max,
                  void* s, cudaStream_t stream);

// ∂L/∂A with t held fixed, and ∂L/∂t per row; with `grad_total` null (a group of one rank, t
// formed from these same rows), the whole ∂L/∂A instead, both parts, in one kernel.
void rows_backward(const RowKernelArgs& args, const void* grad_s, const void* a, const float* total,
                   const float* max, void* grad_a, float* grad_total, cudaStream_t stream);

}  // namespace tf::cuda
