#include "core/cuda/pattention_rows_cuda.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "core/cuda/row_kernels.h"
#include "core/error.h"

namespace tf {
namespace {

bool one_per_row(const torch::Tensor& stat, const torch::Tensor& scores) {
  return stat.device() == scores.device() && stat.numel() * scores.size(-1) == scores.numel();
}

bool handled(const torch::Tensor& scores, const torch::Tensor& total, const torch::Tensor& row_max,
             RowNorm norm) {
  const auto type = scores.scalar_type();
  return scores.is_cuda() && (type == torch::kFloat32 || type == torch::kBFloat16) &&
         one_per_row(total, scores) &&
         (norm.norm != PattentionNorm::kSoftmax || one_per_row(row_max, scores));
}

torch::Tensor fp32(const torch::Tensor& stat) {
  return stat.defined() ? stat.to(torch::kFloat32).contiguous() : stat;
}

const float* floats_or_null(const torch::Tensor& t) {
  return t.defined() ? t.data_ptr<float>() : nullptr;
}

cuda::RowKernelArgs args_of(const torch::Tensor& scores, RowNorm norm) {
  const int64_t n = scores.size(-1);
  return {static_cast<int>(norm.norm),
          static_cast<float>(norm.scale),
          static_cast<float>(kNormEps),
          n > 0 ? scores.numel() / n : 0,
          n,
          scores.scalar_type() == torch::kBFloat16};
}

void check_launch(const char* what) {
  const cudaError_t status = cudaGetLastError();
  TF_CHECK(status == cudaSuccess, what, ": ", cudaGetErrorString(status));
}

}  // namespace

bool rows_cuda_forward(const torch::Tensor& scores, const torch::Tensor& total,
                       const torch::Tensor& row_max, RowNorm norm, torch::Tensor& s) {
  if (!handled(scores, total, row_max, norm)) return false;
  const c10::cuda::CUDAGuard guard(scores.device());
  const torch::Tensor a = scores.contiguous(), t = fp32(total), m = fp32(row_max);
  s = torch::empty_like(a);
  cuda::rows_forward(args_of(a, norm), a.data_ptr(), t.data_ptr<float>(), floats_or_null(m),
                     s.data_ptr(), c10::cuda::getCurrentCUDAStream());
  check_launch("Pattention rows forward kernel");
  return true;
}

bool rows_cuda_backward(const torch::Tensor& grad_s, const torch::Tensor& scores,
                        const torch::Tensor& total, const torch::Tensor& row_max, RowNorm norm,
                        bool whole, RowGradients& out) {
  if (!handled(scores, total, row_max, norm)) return false;
  const c10::cuda::CUDAGuard guard(scores.device());
  const torch::Tensor a = scores.contiguous(), g = grad_s.to(a.scalar_type()).contiguous();
  const torch::Tensor t = fp32(total), m = fp32(row_max);
  out.scores = torch::empty_like(a);
  if (!whole) out.total = torch::empty_like(t);
  cuda::rows_backward(args_of(a, norm), g.data_ptr(), a.data_ptr(), t.data_ptr<float>(),
                      floats_or_null(m), out.scores.data_ptr(),
                      whole ? nullptr : out.total.data_ptr<float>(),
                      c10::cuda::getCurrentCUDAStream());
  check_launch("Pattention rows backward kernel");
  return true;
}

}  // namespace tf
