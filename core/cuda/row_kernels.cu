#include <cuda_bf16.h>

#include "core/cuda/row_kernels.h"

namespace tf::cuda {
namespace {

constexpr int kThreads = 256;

__device__ float load(const float* p, int64_t i) { return p[i]; }
__device__ float load(const __nv_bfloat16* p, int64_t i) { return __bfloat162float(p[i]); }
__device__ void store(float* p, int64_t i, float v) { p[i] = v; }
__device__ void store(__nv_bfloat16* p, int64_t i, float v) { p[i] = __float2bfloat16(v); }

__device__ float row_scale(const float* total, int64_t row, float tau, float eps) {
  return tau / sqrtf(total[row] + eps);
}

// Exact (erf) gelu and its derivative Φ(y) + y φ(y).
__device__ float gelu(float y) { return 0.5f * y * (1.0f + erff(y * 0.70710678118654752f)); }
__device__ float gelu_grad(float y) {
  return 0.5f * (1.0f + erff(y * 0.70710678118654752f)) +
         y * expf(-0.5f * y * y) * 0.39894228040143268f;
}

template <typename T>
__global__ void forward_kernel(const T* a, const float* total, T* s, int64_t rows, int64_t n,
                               float tau, float eps) {
  const int64_t count = rows * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    store(s, i, gelu(load(a, i) * row_scale(total, i / n, tau, eps)));
  }
}

// One block per row: the elementwise gradient, and the row's Σ g a reduced through shared memory.
template <typename T>
__global__ void backward_kernel(const T* grad_s, const T* a, const float* total, T* grad_a,
                                float* grad_total, int64_t n, float tau, float eps) {
  const int64_t row = blockIdx.x;
  const float c = row_scale(total, row, tau, eps);
  const int64_t base = row * n;
  float dot = 0;
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    const float x = load(a, base + j);
    const float g = load(grad_s, base + j) * gelu_grad(x * c);
    store(grad_a, base + j, c * g);
    dot += g * x;
  }
  __shared__ float partial[kThreads];
  partial[threadIdx.x] = dot;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) grad_total[row] = -0.5f * c / (total[row] + eps) * partial[0];
}

int blocks_for(int64_t count) {
  const int64_t wanted = (count + kThreads - 1) / kThreads;
  return static_cast<int>(wanted < 65535 ? (wanted > 0 ? wanted : 1) : 65535);
}

}  // namespace

void l2_norm_gelu_forward(const void* a, const float* total, void* s, int64_t rows, int64_t n,
                          bool bf16, float tau, float eps, cudaStream_t stream) {
  const int blocks = blocks_for(rows * n);
  if (bf16) {
    forward_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(a), total,
                                                    static_cast<__nv_bfloat16*>(s), rows, n, tau,
                                                    eps);
  } else {
    forward_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const float*>(a), total,
                                                    static_cast<float*>(s), rows, n, tau, eps);
  }
}

void l2_norm_gelu_backward(const void* grad_s, const void* a, const float* total, void* grad_a,
                           float* grad_total, int64_t rows, int64_t n, bool bf16, float tau,
                           float eps, cudaStream_t stream) {
  if (rows == 0) return;
  if (bf16) {
    backward_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
        static_cast<const __nv_bfloat16*>(grad_s), static_cast<const __nv_bfloat16*>(a), total,
        static_cast<__nv_bfloat16*>(grad_a), grad_total, n, tau, eps);
  } else {
    backward_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
        static_cast<const float*>(grad_s), static_cast<const float*>(a), total,
        static_cast<float*>(grad_a), grad_total, n, tau, eps);
  }
}

}  // namespace tf::cuda
