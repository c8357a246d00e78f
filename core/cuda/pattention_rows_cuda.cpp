#include "core/cuda/pattention_rows_cuda.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "core/cuda/row_kernels.h"
#include "core/error.h"

namespace tf {
namespace {

bool handled(const torch::Tensor& scores, const torch::Tensor& total) {
  const auto type = scores.scalar_type();
  return scores.is_cuda() && (type == torch::kFloat32 || type == torch::kBFloat16) &&
         scores.is_contiguous() && total.scalar_type() == torch::kFloat32 &&
         total.device() == scores.device() && total.numel() * scores.size(-1) == scores.numel();
}

void check_launch(const char* what) {
  const cudaError_t status = cudaGetLastError();
  TF_CHECK(status == cudaSuccess, what, ": ", cudaGetErrorString(status));
}

}  // namespace

bool l2_norm_gelu_rows_cuda_forward(const torch::Tensor& scores, const torch::Tensor& total,
                                    double tau, torch::Tensor& s) {
  if (!handled(scores, total)) return false;
  const c10::cuda::CUDAGuard guard(scores.device());
  const torch::Tensor totals = total.contiguous();
  s = torch::empty_like(scores);
  const int64_t n = scores.size(-1);
  cuda::l2_norm_gelu_forward(scores.data_ptr(), totals.data_ptr<float>(), s.data_ptr(),
                             scores.numel() / std::max<int64_t>(n, 1), n,
                             scores.scalar_type() == torch::kBFloat16, static_cast<float>(tau),
                             static_cast<float>(kNormEps), c10::cuda::getCurrentCUDAStream());
  check_launch("l2_norm_gelu forward kernel");
  return true;
}

bool l2_norm_gelu_rows_cuda_backward(const torch::Tensor& grad_s, const torch::Tensor& scores,
                                     const torch::Tensor& total, double tau, RowGradients& out) {
  if (!handled(scores, total) || grad_s.scalar_type() != scores.scalar_type()) return false;
  const c10::cuda::CUDAGuard guard(scores.device());
  const torch::Tensor grads = grad_s.contiguous(), totals = total.contiguous();
  out.scores = torch::empty_like(scores);
  out.total = torch::empty_like(totals);
  const int64_t n = scores.size(-1);
  cuda::l2_norm_gelu_backward(grads.data_ptr(), scores.data_ptr(), totals.data_ptr<float>(),
                              out.scores.data_ptr(), out.total.data_ptr<float>(),
                              scores.numel() / std::max<int64_t>(n, 1), n,
                              scores.scalar_type() == torch::kBFloat16, static_cast<float>(tau),
                              static_cast<float>(kNormEps), c10::cuda::getCurrentCUDAStream());
  check_launch("l2_norm_gelu backward kernel");
  return true;
}

}  // namespace tf
