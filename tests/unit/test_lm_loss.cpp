// The chunked head and loss (core/lm_loss.h) against LibTorch's cross entropy over whole logits:
// the same value and gradients in fp64 whatever the chunking, and bf16 activations close to fp32.
#include <gtest/gtest.h>

#include "core/lm_loss.h"

namespace tf {
namespace {

struct Result {
  double loss;
  torch::Tensor grad_h, grad_w;
};

template <typename Loss>
Result run(const torch::Tensor& h0, const torch::Tensor& w0, Loss&& loss) {
  const auto h = h0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  const torch::Tensor value = loss(h, w);
  (value * 1.5).backward();  // a non-unit upstream gradient
  return {value.item<double>(), h.grad(), w.grad()};
}

TEST(LmLoss, ChunkedEqualsWholeLogitsInFp64) {
  torch::manual_seed(2);
  const auto h = torch::randn({37, 16}, torch::kFloat64);
  const auto w = torch::randn({50, 16}, torch::kFloat64);
  const auto targets = torch::randint(0, 50, {37}, torch::kInt64);
  const Result whole = run(h, w, [&](const torch::Tensor& x, const torch::Tensor& y) {
    return torch::cross_entropy_loss(torch::matmul(x, y.t()), targets);
  });
  // 8 rows of 50 fp32 logits per chunk: 5 chunks, the last one short; and one chunk for all.
  for (const int64_t bytes : {int64_t{8 * 50 * 4}, kLossChunkBytes}) {
    const Result chunked = run(h, w, [&](const torch::Tensor& x, const torch::Tensor& y) {
      return chunked_cross_entropy(x, y, targets, bytes);
    });
    EXPECT_NEAR(chunked.loss, whole.loss, 1e-12) << bytes;
    EXPECT_TRUE(torch::allclose(chunked.grad_h, whole.grad_h, 1e-10, 1e-12)) << bytes;
    EXPECT_TRUE(torch::allclose(chunked.grad_w, whole.grad_w, 1e-10, 1e-12)) << bytes;
  }
}

TEST(LmLoss, Bf16ActivationsTrackFp32AndKeepAnFp32WeightGradient) {
  torch::manual_seed(4);
  const auto h = torch::randn({64, 32});
  const auto w = torch::randn({300, 32}) * 0.1;
  const auto targets = torch::randint(0, 300, {64}, torch::kInt64);
  const auto chunked = [&](const torch::Tensor& x, const torch::Tensor& y) {
    return chunked_cross_entropy(x, y, targets, 16 * 300 * 4);
  };
  const Result fp32 = run(h, w, chunked);
  const Result bf16 = run(h.to(torch::kBFloat16), w, chunked);
  EXPECT_EQ(bf16.grad_h.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(bf16.grad_w.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(bf16.loss, fp32.loss, 2e-2 * fp32.loss);
  const auto gap = (bf16.grad_w - fp32.grad_w).abs().max().item<double>();
  EXPECT_LT(gap, 2e-2 * fp32.grad_w.abs().max().item<double>());
}

}  // namespace
}  // namespace tf
