// Progressive scaling: growth policies, layout independence of growth, stage transitions.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/growth.h"
#include "core/local_context.h"
#include "core/torch_ops.h"
#include "core/trainer/trainer.h"
#include "tests/unit/small_model.h"
#include "tests/unit/temp_dir.h"

namespace tf {
namespace {

using testing::growing_model;

const TokenCounts kGrown{13, 11, 29};

TEST(Growth, PreserveKeepsTheFunction) {
  for (const PattentionNorm norm : {PattentionNorm::kL2NormGelu, PattentionNorm::kGeluL2Norm}) {
    ModelConfig m = growing_model();
    m.norm = norm;
    TokenFormer model(m);
    model->init_parameters(4);
    const TokenParallelOps ops;
    const auto samples = torch::randint(0, m.vocab_size, {3, m.seq_len + 1}, torch::kInt64);
    const double before = model->loss(samples, ops).item<double>();
    grow_model(*model, kGrown, GrowthPolicy::kPreserve, 4, 1);
    EXPECT_EQ(model->pattentions()[0]->key_tokens.size(0), 13);
    EXPECT_EQ(model->pattentions()[4]->value_tokens.size(0), 29);
    EXPECT_NEAR(model->loss(samples, ops).item<double>(), before, 1e-6) << choice_name(norm);
    // A second preserving growth keeps the first τ.
    grow_model(*model, {20, 20, 40}, GrowthPolicy::kPreserve, 4, 2);
    EXPECT_NEAR(model->loss(samples, ops).item<double>(), before, 1e-6) << choice_name(norm);
    EXPECT_DOUBLE_EQ(model->pattentions()[4]->scale(), std::sqrt(16.0));
  }
}

TEST(Growth, ZeroAndNormalPolicies) {
  TokenFormer zero(growing_model()), normal(growing_model());
  zero->init_parameters(4);
  normal->init_parameters(4);
  grow_model(*zero, kGrown, GrowthPolicy::kZero, 4, 1);
  grow_model(*normal, kGrown, GrowthPolicy::kNormal, 4, 1);
  const auto z = zero->pattentions()[4], n = normal->pattentions()[4];
  EXPECT_TRUE(torch::equal(z->key_tokens.narrow(0, 16, 13), torch::zeros({13, 16})));
  // Growth 1 draws from streams 2^33 + 2 x layer (keys) and + 1 (values); layer 4 is the FFN of
  // the first block. Keys N(0, 0.02), values N(0, 2 / (L sqrt(d))).
  const uint64_t keys = (uint64_t{1} + 1) << 32 | 8;
  EXPECT_TRUE(
      torch::equal(n->key_tokens.narrow(0, 16, 13), seeded_normal(4, keys, {13, 16}, 0.02)));
  EXPECT_TRUE(torch::equal(n->value_tokens.narrow(0, 16, 13),
                           seeded_normal(4, keys + 1, {13, 16}, 2.0 / (2 * std::sqrt(16.0)))));
  // Old rows are untouched, τ follows the new count, and new values are drawn alike.
  EXPECT_TRUE(torch::equal(z->key_tokens.narrow(0, 0, 16), n->key_tokens.narrow(0, 0, 16)));
  EXPECT_TRUE(torch::equal(z->value_tokens, n->value_tokens));
  EXPECT_DOUBLE_EQ(z->scale(), std::sqrt(29.0));
  EXPECT_THROW(grow_model(*zero, {1, 1, 1}, GrowthPolicy::kZero, 4, 2), Error);
  ModelConfig soft = growing_model();
  soft.norm = PattentionNorm::kSoftmax;
  TokenFormer softmax(soft);
  EXPECT_THROW(grow_model(*softmax, kGrown, GrowthPolicy::kPreserve, 4, 1), Error);
}

TEST(Growth, TokenParallelShardsGrowToSlicesOfTheSameModel) {
  TokenFormer whole(growing_model());
  whole->init_parameters(8);
  grow_model(*whole, kGrown, GrowthPolicy::kNormal, 8, 1);
  for (int64_t rank = 0; rank < 3; ++rank) {
    TokenFormer part(growing_model(), 3, rank);
    part->init_parameters(8);
    grow_model(*part, kGrown, GrowthPolicy::kNormal, 8, 1);
    const auto a = whole->pattentions(), b = part->pattentions();
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(torch::equal(take_rows(a[i]->key_tokens, b[i]->shard()), b[i]->key_tokens))
          << "layer " << i << " rank " << rank;
      EXPECT_TRUE(torch::equal(take_rows(a[i]->value_tokens, b[i]->shard()), b[i]->value_tokens))
          << "layer " << i << " rank " << rank;
    }
  }
}

Config staged_config(const std::string& second_optimizer, const std::string& third_layout = "{}",
                     const std::string& checkpoint_dir = "") {
  const std::vector<std::string> sets{"checkpoint.dir=" + checkpoint_dir};
  return parse_config(
      "model: {hidden_size: 16, num_layers: 2, num_heads: 2, seq_len: 16, vocab_size: 257}\n"
      "train: {global_batch: 4, micro_batch: 4, eval_batches: 1, log_interval: 100}\n"
      "data: {synthetic: {documents: 100, doc_len: 64}}\n"
      "stages:\n"
      "  - {name: s1, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 16, steps: 3, lr: 0.01}\n"
      "  - {name: s2, qkv_tokens: 12, proj_tokens: 12, ffn_tokens: 24, steps: 2, lr: 0.005,\n"
      "     growth: preserve, optimizer: " +
          second_optimizer +
          "}\n"
          "  - {name: s3, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 32, steps: 2, lr: 0.002,\n"
          "     growth: normal, parallel: " +
          third_layout + "}\n",
      "inline.yaml", checkpoint_dir.empty() ? std::vector<std::string>{} : sets);
}

TEST(Stages, RunThroughEveryStage) {
  const Config config = staged_config("reset");
  LocalContext context;
  const Logger log(1);  // quiet: not the primary rank
  Trainer trainer(config, context, log);
  EXPECT_EQ(trainer.run(), Trainer::RunEnd::kFinished);
  EXPECT_EQ(trainer.step(), 7);
  EXPECT_EQ(trainer.stage_index(), 2u);
  EXPECT_EQ(trainer.model()->config().ffn_tokens, 32);
  EXPECT_EQ(trainer.model()->pattentions()[4]->value_tokens.size(0), 32);
}

TEST(Stages, NextLayoutNeedsARelaunchInThatLayout) {
  // Another token-parallel size, pipeline, data-parallel size or optimizer sharding is another
  // layout.
  for (const std::string layout : {"{tp: 2}", "{pp: 2}", "{dp: 2}", "{zero1: true}"}) {
    const TempDir dir;
    const Config config = staged_config("reset", layout, dir.path());
    EXPECT_EQ(launch_stage(config).name, "s1") << layout;  // no checkpoint yet
    LocalContext context;
    const Logger log(1);
    Trainer trainer(config, context, log);
    EXPECT_EQ(trainer.run(), Trainer::RunEnd::kLayoutChange) << layout;
    EXPECT_EQ(trainer.step(), 5) << layout;
    EXPECT_EQ(trainer.stage_index(), 1u) << layout;
    // The checkpoint written at the end of s2 makes the relaunch run s3 in s3's layout.
    const Stage next = launch_stage(config);
    EXPECT_EQ(next.name, "s3") << layout;
    EXPECT_EQ(layout_text(next.parallel), layout_text(config.stages[2].parallel)) << layout;
  }
  EXPECT_EQ(layout_text(staged_config("reset", "{tp: 2, dp: 4, zero1: true}").stages[2].parallel),
            "tp 2 x pp 1 x dp 4, ZeRO-1");
}

TEST(Stages, CarryKeepsTheOldTokensMoments) {
  const Config config = staged_config("carry");
  LocalContext context;
  const Logger log(1);
  Trainer trainer(config, context, log);
  for (int i = 0; i < 3; ++i) trainer.train_step();
  const auto& keys = trainer.model()->pattentions()[0]->key_tokens;
  const auto moments = [&] {
    return static_cast<torch::optim::AdamWParamState&>(
        *trainer.optimizer().state().at(torch_ops::optimizer_state_key(keys)));
  };
  const torch::Tensor exp_avg = moments().exp_avg().clone();
  const torch::Tensor exp_avg_sq = moments().exp_avg_sq().clone();
  ASSERT_TRUE(trainer.start_next_stage());
  const auto& state = moments();
  ASSERT_EQ(state.exp_avg().size(0), 12);
  EXPECT_TRUE(torch::equal(state.exp_avg().narrow(0, 0, 8), exp_avg));
  EXPECT_TRUE(torch::equal(state.exp_avg_sq().narrow(0, 0, 8), exp_avg_sq));
  EXPECT_TRUE(torch::equal(state.exp_avg().narrow(0, 8, 4), torch::zeros({4, 16})));
  EXPECT_TRUE(torch::equal(state.exp_avg_sq().narrow(0, 8, 4), torch::zeros({4, 16})));
  EXPECT_EQ(state.step(), 3);
  // The schedule restarts: the stage's first step uses its own warm-up (1 step) peak.
  EXPECT_DOUBLE_EQ(trainer.train_step().lr, 0.005);
}

}  // namespace
}  // namespace tf
