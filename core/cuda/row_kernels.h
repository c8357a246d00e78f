// CUDA kernels of the row-wise part of l2_norm_gelu (core/pattention_rows.h), on raw pointers so
// that nvcc compiles them without LibTorch's headers. Rows are contiguous, `n` elements each;
// element types are fp32 or bf16 (`bf16`); totals and their gradient are fp32, one per row. Both
// run on `stream` and only enqueue work.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace tf::cuda {

// s = gelu(a c), c = tau / sqrt(total + eps).
void l2_norm_gelu_forward(const void* a, const float* total, void* s, int64_t rows, int64_t n,
                          bool bf16, float tau, float eps, cudaStream_t stream);

// g = grad_s gelu′(a c); grad_a = c g; grad_total = −½ c / (total + eps) Σ_j g_j a_j.
void l2_norm_gelu_backward(const void* grad_s, const void* a, const float* total, void* grad_a,
                           float* grad_total, int64_t rows, int64_t n, bool bf16, float tau,
                           float eps, cudaStream_t stream);

}  // namespace tf::cuda
