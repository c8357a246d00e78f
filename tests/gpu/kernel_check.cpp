// Kernel check for the GPU machine (tests/gpu/run.sh): the Pattention rows on CUDA (the kernels of
// core/cuda/row_kernels.cu, all three norms, fused and split at the statistic) against the
// reference LibTorch formulas on the CPU, in fp32 within 1e-5 relative and in bf16 within 1e-2,
// forward and backward, at shapes of the 150M and 1.4B models' FFN rows and uneven ones.
// Exit status 0 only if all pass; needs no GTest and no MPI.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

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

// Θ(A) and ∂L/∂A for L = Σ S ⊙ upstream, fused or split at the statistic as token parallelism
// runs it, on A's device.
std::pair<torch::Tensor, torch::Tensor> rows(const torch::Tensor& scores,
                                             const torch::Tensor& upstream, tf::RowNorm norm,
                                             bool fused) {
  const auto a = scores.detach().clone().requires_grad_(true);
  torch::Tensor s;
  if (fused) {
    s = tf::fused_rows(a, norm);
  } else {
    const auto m = norm.norm == tf::PattentionNorm::kSoftmax ? tf::row_maxima(a) : torch::Tensor();
    s = tf::row_activation(a, tf::row_stat(a, m, norm), m, norm);
  }
  (s.to(torch::kFloat32) * upstream.to(s.device())).sum().backward();
  return {s.detach(), a.grad()};
}

void check_rows(tf::PattentionNorm norm, int64_t rows_count, int64_t n, torch::ScalarType dtype,
                double tolerance) {
  const double tokens = static_cast<double>(n);
  const tf::RowNorm row_norm{norm,
                             norm == tf::PattentionNorm::kSoftmax ? tokens : std::sqrt(tokens)};
  const auto a = torch::randn({rows_count, n}) * 3;
  const auto upstream = torch::randn({rows_count, n});
  const torch::Device cuda(torch::kCUDA, 0);
  const auto a_gpu = a.to(cuda, dtype);
  // The bf16 input, rounded, is also the CPU reference's input: only the arithmetic differs.
  const auto a_ref = a_gpu.to(torch::kCPU, torch::kFloat32);
  for (const bool fused : {true, false}) {
    const std::string what = std::string(tf::choice_name(norm)) + " " + c10::toString(dtype) +
                             (fused ? " fused " : " split ") + std::to_string(rows_count) + " x " +
                             std::to_string(n);
    const auto ours = rows(a_gpu, upstream, row_norm, fused);
    std::pair<torch::Tensor, torch::Tensor> reference;
    {
      const tf::UseReferenceRows use;
      reference = rows(a_ref, upstream, row_norm, fused);
    }
    check("forward " + what, ours.first, reference.first, tolerance);
    check("backward " + what, ours.second, reference.second, tolerance);
  }
}

}  // namespace

int main() {
  if (tf::visible_gpus() == 0) {
    std::printf("FAIL: no CUDA device\n");
    return 1;
  }
  torch::manual_seed(11);
  for (const auto norm : {tf::PattentionNorm::kL2NormGelu, tf::PattentionNorm::kGeluL2Norm,
                          tf::PattentionNorm::kSoftmax}) {
    for (const auto& [rows, n] :
         {std::pair<int64_t, int64_t>{64, 3072}, {16, 36928}, {1000, 7}, {1, 300}}) {
      check_rows(norm, rows, n, torch::kFloat32, 1e-5);
      check_rows(norm, rows, n, torch::kBFloat16, 1e-2);
    }
  }
  std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
