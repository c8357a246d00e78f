// Growth recipes (docs/progressive-scaling.md): noise on the old tokens, old tokens frozen after a
// growth (through stages, a resume and model.init_from), the check of function preservation at a
// growth, and the learning-rate re-warm after a growth in place.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/checkpoint/adamw_state.h"
#include "core/error.h"
#include "core/growth.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"
#include "tests/unit/small_model.h"
#include "tests/unit/temp_dir.h"

namespace tf {
namespace {

using testing::growing_model;

const TokenCounts kGrown{13, 11, 29};
// A growth in place after this many steps must not raise any of the next 30 steps' training loss
// more than kJumpMargin (nats) above the loss the same step has without the growth.
constexpr int kStepsBeforeGrowth = 120;
constexpr double kJumpMargin = 0.06;

TEST(GrowthRecipes, RowsBelowAGlobalIndexLeadTheShard) {
  TokenShard shard = token_shard(8, 3, 1);  // rows 3..5
  shard.grow(6, 3, 1);                      // and 10..11
  EXPECT_EQ(shard.rows_below(0), 0);
  EXPECT_EQ(shard.rows_below(4), 1);
  EXPECT_EQ(shard.rows_below(8), 3);
  EXPECT_EQ(shard.rows_below(11), 4);
  EXPECT_EQ(shard.rows_below(14), 5);
}

TEST(GrowthRecipes, NoiseIsRelativeToEachOldRowAndTheSameInEveryLayout) {
  TokenFormer plain(growing_model()), noisy(growing_model());
  plain->init_parameters(5);
  noisy->init_parameters(5);
  const torch::Tensor old_keys = plain->pattentions()[4]->key_tokens.detach().clone();
  grow_model(*plain, kGrown, GrowthPolicy::kPreserve, 5, 1);
  grow_model(*noisy, kGrown, GrowthPolicy::kPreserve, 5, 1, 0.1);
  const auto a = plain->pattentions(), b = noisy->pattentions();
  for (size_t i = 0; i < a.size(); ++i) {
    const int64_t old = a[i]->key_tokens.size(0) -
                        (tokens_of_pattention(kGrown, i) - tokens_of_pattention({8, 8, 16}, i));
    // The new rows are the same; the old ones moved by about 0.1 of each row's RMS.
    EXPECT_TRUE(torch::equal(a[i]->key_tokens.narrow(0, old, a[i]->key_tokens.size(0) - old),
                             b[i]->key_tokens.narrow(0, old, b[i]->key_tokens.size(0) - old)));
    for (const auto& [x, y] : {std::pair{a[i]->key_tokens, b[i]->key_tokens},
                               std::pair{a[i]->value_tokens, b[i]->value_tokens}}) {
      const torch::Tensor was = x.narrow(0, 0, old), now = y.narrow(0, 0, old);
      const torch::Tensor ratio = (now - was).square().mean(1).sqrt() / was.square().mean(1).sqrt();
      EXPECT_GT(ratio.min().item<double>(), 0.03) << "layer " << i;
      EXPECT_LT(ratio.max().item<double>(), 0.2) << "layer " << i;
    }
  }
  EXPECT_TRUE(torch::equal(old_keys, a[4]->key_tokens.narrow(0, 0, 16)));
  // Shards of a token-parallel group get the slices of the same noisy rows.
  for (int64_t rank = 0; rank < 3; ++rank) {
    TokenFormer part(growing_model(), 3, rank);
    part->init_parameters(5);
    grow_model(*part, kGrown, GrowthPolicy::kPreserve, 5, 1, 0.1);
    const auto c = part->pattentions();
    for (size_t i = 0; i < c.size(); ++i) {
      EXPECT_TRUE(torch::equal(take_rows(b[i]->key_tokens, c[i]->shard()), c[i]->key_tokens));
      EXPECT_TRUE(torch::equal(take_rows(b[i]->value_tokens, c[i]->shard()), c[i]->value_tokens));
    }
  }
}

TEST(GrowthRecipes, PreservationFailureNamesBothLosses) {
  GrowthRecipe preserve;
  EXPECT_EQ(preservation_failure(3.0, 3.0 * (1 + 5e-6), preserve, 1e-5), "");
  const std::string failure = preservation_failure(3.0, 3.1, preserve, 1e-5);
  EXPECT_NE(failure.find("from 3 to 3.1"), std::string::npos) << failure;
  EXPECT_NE(failure.find("tolerance 1e-05"), std::string::npos) << failure;
  GrowthRecipe noisy = preserve;
  noisy.noise = 0.01;
  EXPECT_EQ(preservation_failure(3.0, 3.1, noisy, 1e-5), "");
  GrowthRecipe normal;
  normal.policy = GrowthPolicy::kNormal;
  EXPECT_EQ(preservation_failure(3.0, 5.0, normal, 1e-5), "");
}

Config frozen_stages(const std::string& optimizer, int64_t freeze, const std::string& dir = "") {
  return parse_config(
      "model: {hidden_size: 16, num_layers: 2, num_heads: 2, seq_len: 16, vocab_size: 257}\n"
      "train: {global_batch: 4, micro_batch: 4, eval_batches: 1, eval_interval: 0,\n"
      "        log_interval: 100}\n"
      "data: {synthetic: {documents: 100, doc_len: 64}}\n"
      "checkpoint: {dir: '" +
          dir +
          "'}\n"
          "stages:\n"
          "  - {name: s1, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 16, steps: 3, lr: 0.01}\n"
          "  - {name: s2, qkv_tokens: 12, proj_tokens: 12, ffn_tokens: 24, steps: 6, lr: 0.01,\n"
          "     growth: normal, optimizer: " +
          optimizer + ", freeze_old_steps: " + std::to_string(freeze) + "}\n",
      "inline.yaml");
}

// Every K and V row of the old tokens, and its moments (empty tensors before any step).
struct OldRows {
  std::vector<torch::Tensor> values, exp_avg, exp_avg_sq;
};

OldRows old_rows(Trainer& trainer, const TokenCounts& old) {
  OldRows rows;
  for (const FrozenRows& f : frozen_rows(*trainer.model(), old)) {
    rows.values.push_back(f.param.detach().narrow(0, 0, f.rows).clone());
    const auto state = get_adamw_state(trainer.optimizer(), f.param);
    rows.exp_avg.push_back(state ? state->exp_avg.narrow(0, 0, f.rows).clone() : torch::Tensor());
    rows.exp_avg_sq.push_back(state ? state->exp_avg_sq.narrow(0, 0, f.rows).clone()
                                    : torch::Tensor());
  }
  return rows;
}

bool all_equal(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].defined() != b[i].defined()) return false;
    if (a[i].defined() && !torch::equal(a[i], b[i])) return false;
  }
  return true;
}

TEST(GrowthRecipes, FrozenOldRowsAndMomentsStayBitIdentical) {
  for (const std::string optimizer : {"carry", "reset"}) {
    LocalContext context;
    const Logger log(1);
    Trainer trainer(frozen_stages(optimizer, 4), context, log);
    for (int i = 0; i < 3; ++i) trainer.train_step();
    ASSERT_TRUE(trainer.start_next_stage());
    const TokenCounts old{8, 8, 16};
    const OldRows at_growth = old_rows(trainer, old);
    const torch::Tensor new_keys = trainer.model()->pattentions()[0]->key_tokens.narrow(0, 8, 4);
    const torch::Tensor new_before = new_keys.detach().clone();
    for (int i = 0; i < 4; ++i) trainer.train_step();  // steps 4-7: 4 frozen, then one free
    const OldRows frozen = old_rows(trainer, old);
    // Step 8 is past the freeze (until step 7): the old rows train again.
    EXPECT_FALSE(torch::equal(new_keys, new_before)) << optimizer;
    if (optimizer == "carry") {
      EXPECT_TRUE(all_equal(at_growth.exp_avg, frozen.exp_avg)) << optimizer;
      EXPECT_TRUE(all_equal(at_growth.exp_avg_sq, frozen.exp_avg_sq)) << optimizer;
    } else {
      for (const torch::Tensor& m : frozen.exp_avg) {
        EXPECT_EQ(m.abs().max().item<double>(), 0.0) << optimizer;
      }
    }
    EXPECT_TRUE(all_equal(at_growth.values, frozen.values)) << optimizer;
    trainer.train_step();
    EXPECT_FALSE(all_equal(at_growth.values, old_rows(trainer, old).values)) << optimizer;
  }
}

TEST(GrowthRecipes, AFreezeSurvivesAResume) {
  const TempDir dir;
  const Config config = frozen_stages("carry", 100, dir.path());  // the whole stage
  LocalContext context;
  const Logger log(1);
  OldRows at_growth;
  {
    Trainer trainer(config, context, log);
    for (int i = 0; i < 3; ++i) trainer.train_step();
    ASSERT_TRUE(trainer.start_next_stage());
    at_growth = old_rows(trainer, {8, 8, 16});
    trainer.train_step();
    trainer.save_checkpoint();
  }
  Trainer resumed(config, context, log);
  ASSERT_TRUE(resumed.resume_from_latest());
  EXPECT_EQ(resumed.step(), 4);
  for (int i = 0; i < 3; ++i) resumed.train_step();
  const OldRows after = old_rows(resumed, {8, 8, 16});
  EXPECT_TRUE(all_equal(at_growth.values, after.values));
  EXPECT_TRUE(all_equal(at_growth.exp_avg, after.exp_avg));
}

TEST(GrowthRecipes, InitFromFreezesTheLoadedTokens) {
  const TempDir dir;
  LocalContext context;
  const Logger log(1);
  const Config small = parse_config(
      "model: {hidden_size: 16, num_layers: 2, num_heads: 2, seq_len: 16, vocab_size: 257,\n"
      "        qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 16}\n"
      "train: {steps: 2, global_batch: 4, micro_batch: 4, eval_batches: 1, eval_interval: 0}\n"
      "data: {synthetic: {documents: 100, doc_len: 64}}\n"
      "checkpoint: {dir: '" +
          dir.path() + "'}\n",
      "small.yaml");
  std::string saved;
  {
    Trainer trainer(small, context, log);
    trainer.train_step();
    trainer.train_step();
    saved = trainer.save_checkpoint();
  }
  const Config grown = parse_config(
      "model: {hidden_size: 16, num_layers: 2, num_heads: 2, seq_len: 16, vocab_size: 257,\n"
      "        qkv_tokens: 12, proj_tokens: 12, ffn_tokens: 24, init_from: '" +
          saved +
          "',\n"
          "        init_growth: normal, init_freeze_steps: 1000}\n"
          "train: {steps: 3, global_batch: 4, micro_batch: 4, eval_batches: 1, lr: 0.01}\n"
          "data: {synthetic: {documents: 100, doc_len: 64}}\n",
      "grown.yaml");
  Trainer trainer(grown, context, log);
  const OldRows loaded = old_rows(trainer, {8, 8, 16});
  const torch::Tensor new_values =
      trainer.model()->pattentions()[4]->value_tokens.narrow(0, 16, 8).detach().clone();
  for (int i = 0; i < 3; ++i) trainer.train_step();
  EXPECT_TRUE(all_equal(loaded.values, old_rows(trainer, {8, 8, 16}).values));
  EXPECT_FALSE(
      torch::equal(new_values, trainer.model()->pattentions()[4]->value_tokens.narrow(0, 16, 8)));
}

// The learning rate after a growth in place ramps from 0 back to the schedule over the re-warm.
TEST(GrowthRecipes, GrowthInPlaceReWarms) {
  const Config config = parse_config(
      "model: {hidden_size: 16, num_layers: 2, num_heads: 2, seq_len: 16, vocab_size: 257,\n"
      "        qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 16}\n"
      "train: {steps: 40, global_batch: 4, micro_batch: 4, eval_batches: 1, eval_interval: 0,\n"
      "        lr: 0.01, min_lr: 0.01, warmup_steps: 4}\n"
      "data: {synthetic: {documents: 100, doc_len: 64}}\n",
      "inline.yaml");
  LocalContext context;
  const Logger log(1);
  Trainer trainer(config, context, log);
  for (int i = 0; i < 6; ++i) trainer.train_step();
  trainer.scale_up(TokenCounts{12, 12, 24});
  std::vector<double> lrs;
  for (int i = 0; i < 5; ++i) lrs.push_back(trainer.train_step().lr);
  EXPECT_DOUBLE_EQ(lrs[0], 0.0025);
  EXPECT_DOUBLE_EQ(lrs[1], 0.005);
  EXPECT_DOUBLE_EQ(lrs[3], 0.01);
  EXPECT_DOUBLE_EQ(lrs[4], 0.01);
  GrowthChoice none;
  none.rewarm_steps = 0;
  trainer.scale_up(TokenCounts{16, 16, 32}, none);
  EXPECT_DOUBLE_EQ(trainer.train_step().lr, 0.01);
}

// How far a growth in place with `choice` (none: the defaults) raises the training loss: the
// largest difference, over the next 30 steps, between the grown run's loss and the loss of the same
// run without the growth on the same batch (training losses are noisy from batch to batch, so the
// difference is taken batch by batch). The losses are printed.
double jump_after_growth_in_place(const GrowthChoice& choice, const std::string& what,
                                  uint64_t seed) {
  const Config config = parse_config(
      "model: {hidden_size: 32, num_layers: 2, num_heads: 2, seq_len: 32, vocab_size: 257,\n"
      "        qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 64}\n"
      "train: {steps: 200, global_batch: 8, micro_batch: 8, eval_batches: 1, eval_interval: 0,\n"
      "        lr: 0.01, min_lr: 0.001, warmup_steps: 10}\n"
      "data: {synthetic: {documents: 400, doc_len: 128}}\n",
      "inline.yaml", {"train.seed=" + std::to_string(seed)});
  LocalContext context;
  const Logger log(1);
  Trainer grown(config, context, log), kept(config, context, log);
  for (int i = 0; i < kStepsBeforeGrowth; ++i) {
    grown.train_step();
    kept.train_step();
  }
  grown.scale_up(TokenCounts{32, 32, 128}, choice);
  double worst = -1e9, sum = 0;
  std::string line;
  for (int i = 0; i < 30; ++i) {
    const double with = grown.train_step().loss, without = kept.train_step().loss;
    worst = std::max(worst, with - without);
    sum += with - without;
    if (i < 4) line += format(" %.3f/%.3f", with, without);
  }
  std::printf(
      "seed %llu, %s: loss after growth / without:%s ...; difference largest %+.4f, "
      "mean %+.4f\n",
      (unsigned long long)seed, what.c_str(), line.c_str(), worst, sum / 30);
  return worst;
}

TEST(GrowthRecipes, NoLossJumpAfterAGrowthInPlace) {
  GrowthChoice cold;  // a fresh optimizer at the schedule's learning rate
  cold.rewarm_steps = 0;
  cold.carry_optimizer = false;
  GrowthChoice reset_rewarm, carry_cold = cold, carry_rewarm;
  reset_rewarm.carry_optimizer = false;
  carry_cold.carry_optimizer = true;
  carry_rewarm.carry_optimizer = true;
  for (const uint64_t seed : {3, 4, 5}) {
    // The defaults: GrowthRecipe's policy and optimizer rule, re-warming over the stage's warm-up.
    EXPECT_LT(jump_after_growth_in_place({}, "default recipe", seed), kJumpMargin) << seed;
    // Without the re-warm the same growth jumps: the margin tells the two apart.
    EXPECT_GT(jump_after_growth_in_place(cold, "reset, no re-warm", seed), kJumpMargin) << seed;
    // The alternatives, for docs/progressive-scaling.md.
    jump_after_growth_in_place(reset_rewarm, "reset, re-warm", seed);
    jump_after_growth_in_place(carry_cold, "carry, no re-warm", seed);
    jump_after_growth_in_place(carry_rewarm, "carry, re-warm", seed);
  }
}

}  // namespace
}  // namespace tf
