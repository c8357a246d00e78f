// Kernel check for the GPU machine (tests/gpu/run.sh): the CUDA kernels of the l2_norm_gelu rows
// (core/cuda/row_kernels.cu) against the LibTorch path on the CPU, in fp32 within 1e-5 relative
// and in bf16 within 1e-2, forward and backward, at shapes of the 150M and 1.4B models' FFN rows.
// Exit status 0 only if all pass; needs no GTest and no MPI.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "core/device.h"
#include "core/pattention_rows.h"

namespace {

int failures = 0;

// Largest difference relative to the largest reference value.
double relative_gap(const torch::Tensor& actual, const torch::Tensor& reference) {
  const auto r = reference.to(torch::kCPU, torch::kFloat64);
  const double scale = std::max(r.abs().max().item<double>(), 1e-30);
  return (actual.to(torch::kCPU, torch::kFloat64) - r).abs().max().item<double>() / scale;
}

void check(const std::string& what, const torch::Tensor& actual, const torch::Tensor& reference,
           double tolerance) {
  const double gap = relative_gap(actual, reference);
  const bool ok = gap <= tolerance && actual.is_cuda();
  std::printf("%s %s: relative gap %.2e (tolerance %.0e)\n", ok ? "PASS" : "FAIL", what.c_str(),
              gap, tolerance);
  if (!ok) ++failures;
}

void check_rows(int64_t rows, int64_t n, torch::ScalarType dtype, double tolerance) {
  const double tau = std::sqrt(static_cast<double>(n));
  const auto a = torch::randn({rows, n});
  const auto grad_s = torch::randn({rows, n});
  const torch::Device cuda(torch::kCUDA, 0);
  const std::string what = std::string(c10::toString(dtype)) + " " + std::to_string(rows) + " x " +
                           std::to_string(n);
  const auto a_gpu = a.to(cuda, dtype);
  // The bf16 input, rounded, is also the CPU reference's input: only the arithmetic differs.
  const auto a_ref = a_gpu.to(torch::kCPU, torch::kFloat32);
  const auto total_ref = a_ref.square().sum(-1, true);
  check("forward " + what, tf::l2_norm_gelu_rows_forward(a_gpu, total_ref.to(cuda), tau),
        tf::l2_norm_gelu_rows_forward(a_ref, total_ref, tau), tolerance);
  const auto ours = tf::l2_norm_gelu_rows_backward(grad_s.to(cuda, dtype), a_gpu,
                                                   total_ref.to(cuda), tau);
  const auto reference = tf::l2_norm_gelu_rows_backward(
      grad_s.to(dtype).to(torch::kFloat32), a_ref, total_ref, tau);
  check("backward dA " + what, ours.scores, reference.scores, tolerance);
  check("backward dtotal " + what, ours.total, reference.total, tolerance);
}

}  // namespace

int main() {
  if (tf::visible_gpus() == 0) {
    std::printf("FAIL: no CUDA device\n");
    return 1;
  }
  torch::manual_seed(11);
  for (const auto& [rows, n] : {std::pair<int64_t, int64_t>{64, 3072}, {16, 36928}, {1000, 7}}) {
    check_rows(rows, n, torch::kFloat32, 1e-5);
    check_rows(rows, n, torch::kBFloat16, 1e-2);
  }
  std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
