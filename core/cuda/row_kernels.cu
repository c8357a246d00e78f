#include <cuda_bf16.h>

#include <type_traits>

#include "core/cuda/row_kernels.h"

namespace tf::cuda {
namespace {

constexpr int kThreads = 256;
enum Norm { kL2NormGelu = 0, kGeluL2Norm = 1, kSoftmax = 2 };

__device__ float load(const float* p, int64_t i) { return p[i]; }
__device__ float load(const __nv_bfloat16* p, int64_t i) { return __bfloat162float(p[i]); }
__device__ void store(float* p, int64_t i, float v) { p[i] = v; }
__device__ void store(__nv_bfloat16* p, int64_t i, float v) { p[i] = __float2bfloat16(v); }

// Exact (erf) gelu, Φ and φ.
__device__ float normal_cdf(float y) { return 0.5f * (1.0f + erff(y * 0.70710678118654752f)); }
__device__ float normal_pdf(float y) { return expf(-0.5f * y * y) * 0.39894228040143268f; }
__device__ float gelu(float y) { return y * normal_cdf(y); }
__device__ float gelu_grad(float y) { return normal_cdf(y) + y * normal_pdf(y); }

// The row's coefficient: s₀ / √(t + ε) for the gelu norms, s₀ / t for softmax.
template <int N>
__device__ float coefficient(float total, float scale, float eps) {
  return N == kSoftmax ? scale / total : scale / sqrtf(total + eps);
}

template <int N>
__device__ float activation(float a, float c, float m) {
  if (N == kL2NormGelu) return gelu(a * c);
  if (N == kGeluL2Norm) return gelu(a) * c;
  return expf(a - m) * c;
}

// The part of ∂L/∂a with t fixed; adds the element's share of ∂L/∂t's sum to `dot`.
template <int N>
__device__ float direct_grad(float gs, float a, float c, float m, float& dot) {
  if (N == kL2NormGelu) {
    const float g = gs * gelu_grad(a * c);
    dot += g * a;
    return c * g;
  }
  if (N == kGeluL2Norm) {
    dot += gs * gelu(a);
    return gs * c * gelu_grad(a);
  }
  const float e = expf(a - m);
  dot += gs * e;
  return gs * e * c;
}

template <int N>
__device__ float total_grad(float dot, float c, float total, float eps) {
  return N == kSoftmax ? -c / total * dot : -0.5f * c / (total + eps) * dot;
}

// ∂t/∂a: what the part of ∂L/∂a through t is, per unit of ∂L/∂t.
template <int N>
__device__ float stat_grad(float a, float m) {
  if (N == kL2NormGelu) return 2.0f * a;
  if (N == kGeluL2Norm) return 2.0f * gelu(a) * gelu_grad(a);
  return expf(a - m);
}

template <int N, typename T>
__global__ void forward_kernel(const T* a, const float* total, const float* max, T* s,
                               int64_t rows, int64_t n, float scale, float eps) {
  const int64_t count = rows * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / n;
    const float m = N == kSoftmax ? max[row] : 0.0f;
    store(s, i, activation<N>(load(a, i), coefficient<N>(total[row], scale, eps), m));
  }
}

// One block per row: the elementwise gradient, and the row's sum reduced through shared memory.
// Fused (a group of one rank, `grad_total` null): a second sweep over the row adds the part
// through t, so ∂L/∂a is whole.
template <int N, typename T>
__global__ void backward_kernel(const T* grad_s, const T* a, const float* total, const float* max,
                                T* grad_a, float* grad_total, int64_t n, float scale, float eps) {
  const int64_t row = blockIdx.x;
  const float c = coefficient<N>(total[row], scale, eps);
  const float m = N == kSoftmax ? max[row] : 0.0f;
  const int64_t base = row * n;
  float dot = 0;
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    const float direct = direct_grad<N>(load(grad_s, base + j), load(a, base + j), c, m, dot);
    if (grad_total != nullptr) store(grad_a, base + j, direct);
  }
  __shared__ float partial[kThreads];
  partial[threadIdx.x] = dot;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  const float through_total = total_grad<N>(partial[0], c, total[row], eps);
  if (grad_total != nullptr) {
    if (threadIdx.x == 0) grad_total[row] = through_total;
    return;
  }
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    const float x = load(a, base + j);
    float unused = 0;
    store(grad_a, base + j,
          direct_grad<N>(load(grad_s, base + j), x, c, m, unused) + stat_grad<N>(x, m) * through_total);
  }
}

int blocks_for(int64_t count) {
  const int64_t wanted = (count + kThreads - 1) / kThreads;
  return static_cast<int>(wanted < 65535 ? (wanted > 0 ? wanted : 1) : 65535);
}

template <int N, typename T>
void launch_forward(const RowKernelArgs& r, const void* a, const float* total, const float* max,
                    void* s, cudaStream_t stream) {
  forward_kernel<N><<<blocks_for(r.rows * r.n), kThreads, 0, stream>>>(
      static_cast<const T*>(a), total, max, static_cast<T*>(s), r.rows, r.n, r.scale, r.eps);
}

template <int N, typename T>
void launch_backward(const RowKernelArgs& r, const void* grad_s, const void* a,
                     const float* total, const float* max, void* grad_a, float* grad_total,
                     cudaStream_t stream) {
  backward_kernel<N><<<static_cast<unsigned>(r.rows), kThreads, 0, stream>>>(
      static_cast<const T*>(grad_s), static_cast<const T*>(a), total, max,
      static_cast<T*>(grad_a), grad_total, r.n, r.scale, r.eps);
}

// Calls f.template operator()<N, T>() for the arguments' norm and element type.
template <typename F>
void dispatch(const RowKernelArgs& r, F&& f) {
  const auto typed = [&](auto norm) {
    constexpr int N = decltype(norm)::value;
    if (r.bf16) {
      f(std::integral_constant<int, N>{}, __nv_bfloat16{});
    } else {
      f(std::integral_constant<int, N>{}, float{});
    }
  };
  if (r.norm == kL2NormGelu) typed(std::integral_constant<int, kL2NormGelu>{});
  if (r.norm == kGeluL2Norm) typed(std::integral_constant<int, kGeluL2Norm>{});
  if (r.norm == kSoftmax) typed(std::integral_constant<int, kSoftmax>{});
}

}  // namespace

void rows_forward(const RowKernelArgs& args, const void* a, const float* total, const float* max,
                  void* s, cudaStream_t stream) {
  if (args.rows == 0 || args.n == 0) return;
  dispatch(args, [&](auto norm, auto element) {
    launch_forward<decltype(norm)::value, decltype(element)>(args, a, total, max, s, stream);
  });
}

void rows_backward(const RowKernelArgs& args, const void* grad_s, const void* a,
                   const float* total, const float* max, void* grad_a, float* grad_total,
                   cudaStream_t stream) {
  if (args.rows == 0) return;
  dispatch(args, [&](auto norm, auto element) {
    launch_backward<decltype(norm)::value, decltype(element)>(args, grad_s, a, total, max, grad_a,
                                                              grad_total, stream);
  });
}

}  // namespace tf::cuda
