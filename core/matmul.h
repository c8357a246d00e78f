// Matrix products of the model in its compute dtype. In bf16 on a CPU without bf16 arithmetic
// (neither AVX512-BF16 nor AMX-BF16), oneDNN's bf16 GEMM is an emulation about ten times slower
// than fp32 GEMM; there these functions multiply the bf16 values in fp32 and round the result to
// bf16 once. That is the arithmetic of a native bf16 GEMM (products of bf16 values are exact in
// fp32, sums accumulate in fp32), in another summation order. Everything else is LibTorch's own.
#pragma once

#include <torch/torch.h>

namespace tf {

// a [..., k] times b [k, n] (b often a transposed view), differentiable in both; saves a and b in
// their own dtype.
torch::Tensor matmul(const torch::Tensor& a, const torch::Tensor& b);

// Causal multi-head attention, q/k/v [batch, heads, seq, head_dim], scale 1/sqrt(head_dim):
// ATen's scaled-dot-product attention (flash or memory-efficient kernels on CUDA; on a CPU
// without bf16 arithmetic, bf16 inputs are attended in fp32 and the result rounded to bf16).
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v);

// Whether bf16 products on `t`'s device are computed in fp32 as above.
bool emulated_bf16(const torch::Tensor& t);

}  // namespace tf
