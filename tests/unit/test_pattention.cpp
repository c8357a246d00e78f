// Pattention against closed-form values computed with scalar math, and its gradients against
// central finite differences in double precision.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/pattention.h"
#include "finite_difference.h"

namespace tf {
namespace {

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

// X = [1, 2], K rows (1,0), (0,1), (1,1) -> A = [1, 2, 3]; V = [1, 10, 100].
Pattention hand_made(PattentionNorm norm) {
  Pattention p(2, 1, token_shard(3, 1, 0), norm);
  torch::NoGradGuard no_grad;
  p->key_tokens.copy_(torch::tensor({1.0, 0.0, 0.0, 1.0, 1.0, 1.0}).reshape({3, 2}));
  p->value_tokens.copy_(torch::tensor({1.0, 10.0, 100.0}).reshape({3, 1}));
  p->to(torch::kFloat64);
  return p;
}

double run(Pattention& p, const torch::Tensor& x) {
  return p->forward(x, TokenParallelOps()).item<double>();
}

const double kA[3] = {1, 2, 3};
const double kV[3] = {1, 10, 100};

TEST(Pattention, L2NormGeluClosedForm) {
  Pattention p = hand_made(PattentionNorm::kL2NormGelu);
  const double norm = std::sqrt(1 + 4 + 9 + kNormEps), tau = std::sqrt(3.0);
  double expected = 0;
  for (int j = 0; j < 3; ++j) expected += gelu(kA[j] * tau / norm) * kV[j];
  EXPECT_NEAR(run(p, torch::tensor({{1.0, 2.0}}, torch::kFloat64)), expected, 1e-12);
}

TEST(Pattention, GeluL2NormClosedForm) {
  Pattention p = hand_made(PattentionNorm::kGeluL2Norm);
  double sq = 0;
  for (double a : kA) sq += gelu(a) * gelu(a);
  double expected = 0;
  for (int j = 0; j < 3; ++j)
    expected += gelu(kA[j]) * std::sqrt(3.0) / std::sqrt(sq + kNormEps) * kV[j];
  EXPECT_NEAR(run(p, torch::tensor({{1.0, 2.0}}, torch::kFloat64)), expected, 1e-12);
}

TEST(Pattention, SoftmaxClosedForm) {
  Pattention p = hand_made(PattentionNorm::kSoftmax);
  const double total = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  double expected = 0;
  for (int j = 0; j < 3; ++j) expected += 3.0 * std::exp(kA[j]) / total * kV[j];
  EXPECT_NEAR(run(p, torch::tensor({{1.0, 2.0}}, torch::kFloat64)), expected, 1e-10);
  // Stable for large scores: exp(1000) would overflow without the max subtraction.
  const double big = run(p, torch::tensor({{1000.0, 1000.0}}, torch::kFloat64));
  EXPECT_TRUE(std::isfinite(big));
  EXPECT_NEAR(big, 3.0 * 100.0, 1e-9);  // all weight on the third token (score 2000)
}

TEST(Pattention, TauOverrideAndZeroRow) {
  Pattention p = hand_made(PattentionNorm::kL2NormGelu);
  p->set_tau(2.0);
  const double norm = std::sqrt(14 + kNormEps);
  double expected = 0;
  for (int j = 0; j < 3; ++j) expected += gelu(kA[j] * 2.0 / norm) * kV[j];
  EXPECT_NEAR(run(p, torch::tensor({{1.0, 2.0}}, torch::kFloat64)), expected, 1e-12);
  // An all-zero score row gives 0, not NaN (the eps under the square root).
  EXPECT_EQ(run(p, torch::tensor({{0.0, 0.0}}, torch::kFloat64)), 0.0);
}

// Checks d(sum(out * probe))/dθ from autograd against central differences for every entry of
// X, K and V.
void check_gradients(PattentionNorm norm) {
  torch::manual_seed(3);
  Pattention p(5, 4, token_shard(7, 1, 0), norm);
  {
    torch::NoGradGuard no_grad;
    p->key_tokens.normal_(0, 0.5);
    p->value_tokens.normal_(0, 0.5);
  }
  p->to(torch::kFloat64);
  const auto x = torch::randn({3, 5}, torch::kFloat64).requires_grad_(true);
  const auto probe = torch::randn({3, 4}, torch::kFloat64);
  const TokenParallelOps ops;
  auto objective = [&] { return (p->forward(x, ops) * probe).sum(); };
  objective().backward();
  testing::expect_gradient_matches("x", x, objective);
  testing::expect_gradient_matches("key_tokens", p->key_tokens, objective);
  testing::expect_gradient_matches("value_tokens", p->value_tokens, objective);
}

TEST(Pattention, GradientsL2NormGelu) { check_gradients(PattentionNorm::kL2NormGelu); }
TEST(Pattention, GradientsGeluL2Norm) { check_gradients(PattentionNorm::kGeluL2Norm); }
TEST(Pattention, GradientsSoftmax) { check_gradients(PattentionNorm::kSoftmax); }

TEST(Pattention, TokenShardSplitsEvenlyWithRemainderFirst) {
  const TokenShard a = token_shard(10, 4, 0), b = token_shard(10, 4, 1), d = token_shard(10, 4, 3);
  ASSERT_EQ(a.ranges.size(), 1u);
  EXPECT_EQ(a.ranges[0].offset, 0);
  EXPECT_EQ(a.count(), 3);
  EXPECT_EQ(b.ranges[0].offset, 3);
  EXPECT_EQ(b.count(), 3);
  EXPECT_EQ(d.ranges[0].offset, 8);
  EXPECT_EQ(d.count(), 2);
  EXPECT_EQ(d.total, 10);
}

TEST(Pattention, GrownShardKeepsGlobalOrder) {
  TokenShard s = token_shard(10, 4, 1);  // rows [3, 6)
  s.grow(6, 4, 1);                       // new rows 10..15, rank 1 takes [12, 14)
  ASSERT_EQ(s.ranges.size(), 2u);
  EXPECT_EQ(s.ranges[1].offset, 12);
  EXPECT_EQ(s.ranges[1].count, 2);
  EXPECT_EQ(s.total, 16);
  TokenShard whole = token_shard(10, 1, 0);
  whole.grow(6, 1, 0);
  ASSERT_EQ(whole.ranges.size(), 1u);  // one process: still one contiguous range
  EXPECT_EQ(whole.count(), 16);
  const auto full = torch::arange(16);
  EXPECT_TRUE(torch::equal(take_rows(full, s), torch::tensor({3, 4, 5, 12, 13}, torch::kInt64)));
}

}  // namespace
}  // namespace tf
