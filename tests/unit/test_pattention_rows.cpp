// The row-wise part Θ of a Pattention (core/pattention_rows.h): its kernels against the plain
// LibTorch formulas (the reference), for the three norms, fused and split at the statistic, in
// fp64, fp32 and bf16, at uneven shapes; the closed form of docs/model.md; and a model trained a
// few steps both ways.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "core/config_choices.h"
#include "core/cpu/row_kernels.h"
#include "core/model.h"
#include "core/pattention_rows.h"
#include "small_model.h"

namespace tf {
namespace {

constexpr PattentionNorm kNorms[] = {PattentionNorm::kL2NormGelu, PattentionNorm::kGeluL2Norm,
                                     PattentionNorm::kSoftmax};

std::string name_of(PattentionNorm norm) { return std::string(choice_name(norm)); }

RowNorm rows_of(PattentionNorm norm, int64_t n) {
  const double tokens = static_cast<double>(n);
  return {norm, norm == PattentionNorm::kSoftmax ? tokens : std::sqrt(tokens)};
}

// Largest difference relative to the largest reference entry.
double gap(const torch::Tensor& actual, const torch::Tensor& reference) {
  const auto r = reference.to(torch::kFloat64);
  const double scale = std::max(r.abs().max().item<double>(), 1e-300);
  return (actual.to(torch::kFloat64) - r).abs().max().item<double>() / scale;
}

struct Result {
  torch::Tensor s, grad;
};

// Θ(A) and ∂L/∂A for L = Σ S ⊙ upstream: fused, or split at t as token parallelism runs it.
Result run(const torch::Tensor& scores, const torch::Tensor& upstream, RowNorm norm, bool fused) {
  const auto a = scores.detach().clone().requires_grad_(true);
  torch::Tensor s;
  if (fused) {
    s = fused_rows(a, norm);
  } else {
    const auto m = norm.norm == PattentionNorm::kSoftmax ? row_maxima(a) : torch::Tensor();
    s = row_activation(a, row_stat(a, m, norm), m, norm);
  }
  (s.to(torch::kFloat64) * upstream).sum().backward();
  return {s.detach(), a.grad()};
}

Result run_reference(const torch::Tensor& scores, const torch::Tensor& upstream, RowNorm norm,
                     bool fused) {
  const UseReferenceRows reference;
  return run(scores, upstream, norm, fused);
}

struct Case {
  std::vector<int64_t> shape;
  torch::ScalarType type;
  double tolerance;
};

TEST(PattentionRows, KernelsRunOnThisMachine) {
#if defined(__x86_64__)
  // Every comparison below would otherwise compare the reference with itself.
  EXPECT_TRUE(cpu_rows::available()) << "the CI machines have AVX2 and FMA";
#endif
}

TEST(PattentionRows, KernelsMatchTheReferenceFusedAndSplit) {
  const std::vector<std::vector<int64_t>> shapes{{1, 300}, {9, 7}, {2, 36928}, {2, 3, 33}};
  const std::vector<std::pair<torch::ScalarType, double>> types{
      {torch::kFloat64, 1e-10}, {torch::kFloat32, 1e-6}, {torch::kBFloat16, 1e-2}};
  torch::manual_seed(21);
  for (const auto norm : kNorms) {
    for (const auto& shape : shapes) {
      const auto a64 = torch::randn(shape, torch::kFloat64) * 3;
      const auto upstream = torch::randn(shape, torch::kFloat64);
      const RowNorm rows = rows_of(norm, shape.back());
      for (const auto& [type, tolerance] : types) {
        const auto a = a64.to(type);
        for (const bool fused : {true, false}) {
          const std::string what = name_of(norm) + " " + c10::toString(type) + " " +
                                   (fused ? "fused" : "split") + " n " +
                                   std::to_string(shape.back());
          const Result ours = run(a, upstream, rows, fused);
          const Result reference = run_reference(a, upstream, rows, fused);
          EXPECT_EQ(ours.s.scalar_type(), type) << what;
          EXPECT_EQ(ours.grad.scalar_type(), type) << what;
          EXPECT_LE(gap(ours.s, reference.s), tolerance) << what << ": S";
          EXPECT_LE(gap(ours.grad, reference.grad), tolerance) << what << ": dL/dA";
        }
      }
    }
  }
}

TEST(PattentionRows, SplitGradientOfTheStatisticMatchesTheReference) {
  torch::manual_seed(4);
  for (const auto norm : kNorms) {
    const auto a = torch::randn({5, 19}, torch::kFloat64);
    const auto upstream = torch::randn({5, 19}, torch::kFloat64);
    const RowNorm rows = rows_of(norm, 19);
    const auto m = norm == PattentionNorm::kSoftmax ? row_maxima(a) : torch::Tensor();
    const auto total_grad = [&](bool reference) {
      const auto t = rows_reference::stat(a, m, rows).requires_grad_(true);
      if (reference) {
        const UseReferenceRows use;
        (row_activation(a, t, m, rows) * upstream).sum().backward();
      } else {
        (row_activation(a, t, m, rows) * upstream).sum().backward();
      }
      return t.grad();
    };
    EXPECT_LE(gap(total_grad(false), total_grad(true)), 1e-12) << name_of(norm);
  }
}

TEST(PattentionRows, L2NormGeluMatchesTheClosedForm) {
  torch::manual_seed(3);
  const auto a = torch::randn({4, 23}, torch::kFloat64);
  const auto upstream = torch::randn({4, 23}, torch::kFloat64);
  const double tau = 4.0;
  const Result ours = run(a, upstream, {PattentionNorm::kL2NormGelu, tau}, true);
  // docs/model.md, Pattention: dL/dA = (τ/r)(g − u (uᵀg)), g = dL/dS ⊙ gelu′(y), u = A/r, y = τu.
  const auto r = torch::sqrt(a.square().sum(-1, true) + kNormEps);
  const auto u = a / r, y = tau * u;
  const auto gelu_grad = 0.5 * (1 + torch::erf(y / std::sqrt(2.0))) +
                         y * torch::exp(-0.5 * y * y) / std::sqrt(2 * M_PI);
  const auto g = upstream * gelu_grad;
  EXPECT_LE(gap(ours.grad, (tau / r) * (g - u * (u * g).sum(-1, true))), 1e-10);
}

TEST(PattentionRows, ZeroRowsAndLargeScoresStayFinite) {
  for (const auto norm : kNorms) {
    auto a = torch::randn({3, 40});
    a[0].zero_();
    a[1].mul_(1e4);
    const Result ours = run(a, torch::ones({3, 40}, torch::kFloat64), rows_of(norm, 40), true);
    EXPECT_TRUE(torch::isfinite(ours.s).all().item<bool>()) << name_of(norm);
    EXPECT_TRUE(torch::isfinite(ours.grad).all().item<bool>()) << name_of(norm);
  }
}

// A small model trained 6 AdamW steps with the kernels and with the reference: the same losses to
// fp32 tolerance, for each norm.
TEST(PattentionRows, TrainingLossesMatchTheReference) {
  ModelConfig m = testing::small_model();
  const TokenParallelOps ops;
  const auto samples = torch::randint(0, m.vocab_size, {4, m.seq_len + 1},
                                      torch::TensorOptions().dtype(torch::kInt64));
  for (const auto norm : kNorms) {
    m.norm = norm;
    const auto losses = [&](bool reference) {
      std::optional<UseReferenceRows> use;
      if (reference) use.emplace();
      TokenFormer model(m);
      model->init_parameters(7);
      torch::optim::AdamW adam(model->parameters(), torch::optim::AdamWOptions(3e-3));
      std::vector<double> out;
      for (int step = 0; step < 6; ++step) {
        adam.zero_grad();
        const auto loss = model->loss(samples, ops);
        loss.backward();
        adam.step();
        out.push_back(loss.item<double>());
      }
      return out;
    };
    const auto ours = losses(false), reference = losses(true);
    for (size_t i = 0; i < ours.size(); ++i) {
      EXPECT_NEAR(ours[i], reference[i], 1e-5 * std::abs(reference[i]))
          << name_of(norm) << " step " << i;
    }
  }
}

}  // namespace
}  // namespace tf
