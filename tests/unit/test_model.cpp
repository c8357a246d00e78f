// The language model: gradients of a whole block against finite differences, rotary position
// properties, causality, tied head and initialisation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/model.h"
#include "core/rotary.h"
#include "finite_difference.h"
#include "small_model.h"

namespace tf {
namespace {

using testing::small_model;

TEST(Block, GradientsMatchFiniteDifferences) {
  ModelConfig m = small_model();
  m.rotary_pct = 0.5;
  Block block(m, 1, 0);
  torch::manual_seed(5);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : block->parameters()) p.normal_(0, 0.4);
  }
  block->to(torch::kFloat64);
  const Rotary rotary(m.head_dim(), m.rotary_pct);
  const TokenParallelOps ops;
  const auto x = torch::randn({2, 4, m.hidden_size}, torch::kFloat64).requires_grad_(true);
  const auto probe = torch::randn({2, 4, m.hidden_size}, torch::kFloat64);
  auto objective = [&] { return (block->forward(x, rotary, ops) * probe).sum(); };
  objective().backward();
  std::vector<std::pair<std::string, torch::Tensor>> tensors{{"x", x}};
  for (const auto& item : block->named_parameters()) tensors.emplace_back(item.key(), item.value());
  // Every 7th entry keeps the test fast while touching every row of every matrix.
  for (auto& [name, t] : tensors) testing::expect_gradient_matches(name, t, objective, 7);
}

TEST(Rotary, RotatesFirstQuarterInNeoxLayout) {
  const Rotary rotary(64, 0.25);
  ASSERT_EQ(rotary.rotary_dims(), 16);
  const auto x = torch::randn({1, 1, 5, 64});
  const auto y = rotary.apply(x);
  // Dimensions past the rotary part pass through; position 0 is not rotated.
  EXPECT_TRUE(torch::equal(y.narrow(-1, 16, 48), x.narrow(-1, 16, 48)));
  EXPECT_TRUE(torch::allclose(y.select(2, 0), x.select(2, 0)));
  // Pair (i, i + 8) of position p is rotated by p / 10000^(2i/16) ("rotate half").
  for (int64_t p = 0; p < 5; ++p) {
    for (int64_t i = 0; i < 8; ++i) {
      const double angle = p / std::pow(10000.0, 2.0 * i / 16.0);
      const double a = x[0][0][p][i].item<double>(), b = x[0][0][p][i + 8].item<double>();
      EXPECT_NEAR(y[0][0][p][i].item<double>(), a * std::cos(angle) - b * std::sin(angle), 1e-5)
          << "position " << p << " dim " << i;
      EXPECT_NEAR(y[0][0][p][i + 8].item<double>(), b * std::cos(angle) + a * std::sin(angle), 1e-5)
          << "position " << p << " dim " << i + 8;
    }
  }
}

TEST(Rotary, ScoresDependOnlyOnRelativePosition) {
  const Rotary rotary(32, 0.5);
  const auto q = torch::randn({32}, torch::kFloat64).expand({1, 1, 12, 32});
  const auto k = torch::randn({32}, torch::kFloat64).expand({1, 1, 12, 32});
  const auto scores = torch::matmul(rotary.apply(q), rotary.apply(k).transpose(-2, -1))[0][0];
  for (int64_t m = 0; m + 1 < 12; ++m) {
    for (int64_t n = 0; n + 1 < 12; ++n) {
      EXPECT_NEAR(scores[m][n].item<double>(), scores[m + 1][n + 1].item<double>(), 1e-5)
          << "(" << m << ", " << n << ")";
    }
  }
}

TEST(Model, CausalLogitsIgnoreFutureTokens) {
  const ModelConfig m = small_model();
  TokenFormer model(m);
  model->init_parameters(11);
  const TokenParallelOps ops;
  auto tokens = torch::randint(0, m.vocab_size, {2, m.seq_len}, torch::kInt64);
  const auto before = model->forward(tokens, ops);
  for (int64_t t = 0; t < m.seq_len; ++t) {
    auto changed = tokens.clone();
    changed.narrow(1, t, m.seq_len - t).add_(1).remainder_(m.vocab_size);
    const auto after = model->forward(changed, ops);
    EXPECT_TRUE(torch::equal(before.narrow(1, 0, t), after.narrow(1, 0, t))) << "position " << t;
    EXPECT_FALSE(torch::equal(before.narrow(1, t, 1), after.narrow(1, t, 1))) << "position " << t;
  }
}

TEST(Model, InitialisationFollowsTheAuthors) {
  ModelConfig m = small_model();
  m.hidden_size = 64;
  m.num_heads = 4;
  m.qkv_tokens = m.proj_tokens = m.ffn_tokens = 2000;
  TokenFormer model(m);
  model->init_parameters(1);
  const double value_std = 2.0 / (m.num_layers * std::sqrt(64.0));
  for (const auto& layer : model->pattentions()) {
    EXPECT_NEAR(layer->key_tokens.std().item<double>(), 0.02, 0.001);
    EXPECT_NEAR(layer->value_tokens.std().item<double>(), value_std, 0.05 * value_std);
  }
  EXPECT_NEAR(model->embedding.std().item<double>(), 0.02, 0.001);
  EXPECT_EQ(model->embedding.size(0), 128);  // vocab 50 padded to a multiple of 128
  EXPECT_TRUE(torch::equal(model->final_norm_weight, torch::ones({64})));
  EXPECT_TRUE(torch::equal(model->final_norm_bias, torch::zeros({64})));
}

TEST(Model, ShardsOfATokenParallelModelSliceTheSameInit) {
  const ModelConfig m = small_model();
  TokenFormer whole(m);
  whole->init_parameters(9);
  for (int64_t rank = 0; rank < 2; ++rank) {
    TokenFormer part(m, 2, rank);
    part->init_parameters(9);
    const auto a = whole->pattentions(), b = part->pattentions();
    for (size_t i = 0; i < a.size(); ++i) {
      const TokenShard& s = b[i]->shard();
      EXPECT_TRUE(torch::equal(take_rows(a[i]->key_tokens, s), b[i]->key_tokens))
          << "layer " << i << " rank " << rank;
      EXPECT_TRUE(torch::equal(take_rows(a[i]->value_tokens, s), b[i]->value_tokens))
          << "layer " << i << " rank " << rank;
    }
    EXPECT_TRUE(torch::equal(whole->embedding, part->embedding));
  }
}

TEST(Model, LossIsMeanCrossEntropyOfTiedHead) {
  const ModelConfig m = small_model();
  TokenFormer model(m);
  model->init_parameters(2);
  const TokenParallelOps ops;
  const auto samples = torch::randint(0, m.vocab_size, {3, m.seq_len + 1}, torch::kInt64);
  const auto logits = model->forward(samples.narrow(1, 0, m.seq_len), ops);
  const auto log_probs = torch::log_softmax(logits.to(torch::kFloat64), -1);
  const auto targets = samples.narrow(1, 1, m.seq_len).unsqueeze(-1);
  const double expected = -log_probs.gather(-1, targets).mean().item<double>();
  EXPECT_NEAR(model->loss(samples, ops).item<double>(), expected, 1e-5);
}

}  // namespace
}  // namespace tf
