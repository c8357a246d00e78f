// The row-wise part of l2_norm_gelu (core/pattention_rows.h) against autograd through the plain
// formula, and against the closed form of docs/model.md, Pattention, in fp64; bf16 against fp32.
#include <gtest/gtest.h>

#include <cmath>

#include "core/pattention.h"
#include "core/pattention_rows.h"

namespace tf {
namespace {

constexpr double kTau = 4.0;

torch::Tensor plain(const torch::Tensor& a, double tau) {
  const auto total = a.square().sum(-1, /*keepdim=*/true);
  return torch::gelu(a * (tau / torch::sqrt(total + kNormEps)));
}

torch::Tensor lean(const torch::Tensor& a, double tau) {
  return l2_norm_gelu_rows(a, row_square_sum(a), tau);
}

TEST(PattentionRows, ForwardIsThePlainFormula) {
  const auto a = torch::randn({3, 5, 17});
  EXPECT_TRUE(torch::equal(lean(a, kTau), plain(a, kTau)));
}

TEST(PattentionRows, GradientsMatchAutogradAndSpecsClosedForm) {
  torch::manual_seed(3);
  const auto upstream = torch::randn({4, 23}, torch::kFloat64);
  const auto grad_of = [&](auto&& f) {
    const auto a = torch::randn({4, 23}, torch::kFloat64).requires_grad_(true);
    (f(a) * upstream).sum().backward();
    return std::make_pair(a.detach(), a.grad());
  };
  torch::manual_seed(5);
  const auto [a, reference] = grad_of([](const torch::Tensor& x) { return plain(x, kTau); });
  torch::manual_seed(5);
  const auto [a2, ours] = grad_of([](const torch::Tensor& x) { return lean(x, kTau); });
  ASSERT_TRUE(torch::equal(a, a2));
  EXPECT_TRUE(torch::allclose(ours, reference, 1e-12, 1e-12));
  // docs/model.md, Pattention: dL/dA = (τ/r)(g − u (uᵀg)), g = dL/dS ⊙ gelu′(y), u = A/r, y = τu.
  const auto r = torch::sqrt(a.square().sum(-1, true) + kNormEps);
  const auto u = a / r, y = kTau * u;
  const auto gelu_grad = 0.5 * (1 + torch::erf(y / std::sqrt(2.0))) +
                         y * torch::exp(-0.5 * y * y) / std::sqrt(2 * M_PI);
  const auto g = upstream * gelu_grad;
  const auto closed = (kTau / r) * (g - u * (u * g).sum(-1, true));
  EXPECT_TRUE(torch::allclose(ours, closed, 1e-9, 1e-9));
}

TEST(PattentionRows, TheTwoHalvesAreWhatTheFunctionUses) {
  const auto a = torch::randn({6, 40});
  const auto total = a.square().sum(-1, true);
  const auto ds = torch::randn({6, 40});
  const RowGradients g = l2_norm_gelu_rows_backward(ds, a, total, kTau);
  EXPECT_EQ(g.scores.sizes(), a.sizes());
  EXPECT_EQ(g.total.sizes(), total.sizes());
  const auto x = a.clone().requires_grad_(true), t = total.clone().requires_grad_(true);
  (l2_norm_gelu_rows(x, t, kTau) * ds).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), g.scores));
  EXPECT_TRUE(torch::equal(t.grad(), g.total));
  EXPECT_TRUE(torch::equal(l2_norm_gelu_rows_forward(a, total, kTau), plain(a, kTau)));
}

TEST(PattentionRows, Bf16KeepsItsDtypeAndTracksFp32) {
  torch::manual_seed(9);
  const auto a32 = torch::randn({8, 64});
  const auto upstream = torch::randn({8, 64});
  const auto run = [&](torch::ScalarType dtype) {
    const auto a = a32.to(dtype).clone().requires_grad_(true);
    const auto s = lean(a, kTau);
    EXPECT_EQ(s.scalar_type(), dtype);
    (s.to(torch::kFloat32) * upstream).sum().backward();
    EXPECT_EQ(a.grad().scalar_type(), dtype);
    return std::make_pair(s.to(torch::kFloat32), a.grad().to(torch::kFloat32));
  };
  const auto [s32, g32] = run(torch::kFloat32);
  const auto [s16, g16] = run(torch::kBFloat16);
  EXPECT_LT((s16 - s32).abs().max().item<double>(), 2e-2 * s32.abs().max().item<double>());
  EXPECT_LT((g16 - g32).abs().max().item<double>(), 2e-2 * g32.abs().max().item<double>());
}

}  // namespace
}  // namespace tf
