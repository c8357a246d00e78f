// Trainer::scale_up: both branches (the next stage, growth in place), every refusal, and growth
// that fails on another rank, after which training goes on as if no request had come.
#include <gtest/gtest.h>

#include <vector>

#include "core/config.h"
#include "core/local_context.h"
#include "core/sizes.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

using Reason = ScaleUpRefused::Reason;

Config two_stages(const std::string& second_layout = "{}") {
  return parse_config(
      "model: {hidden_size: 16, num_layers: 2, num_heads: 2, seq_len: 16, vocab_size: 257}\n"
      "train: {global_batch: 4, micro_batch: 4, eval_batches: 1, eval_interval: 0}\n"
      "data: {synthetic: {documents: 100, doc_len: 64}}\n"
      "stages:\n"
      "  - {name: s1, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 16, steps: 10, lr: 0.01}\n"
      "  - {name: s2, qkv_tokens: 12, proj_tokens: 12, ffn_tokens: 24, steps: 20, lr: 0.005,\n"
      "     warmup_steps: 2, growth: normal, optimizer: carry, parallel: " +
          second_layout + "}\n",
      "inline.yaml");
}

// Records what the trainer announces.
class Announcements : public StepObserver {
 public:
  void on_step_boundary(Trainer&) override {}
  void on_model_change(const ModelState& state) override { seen.push_back(state); }
  void on_step(const StepStats&) override {}
  void on_validation(int64_t, double) override {}
  void on_checkpoint(int64_t, const std::string&, double) override {}
  std::vector<ModelState> seen;
};

TrainerCollaborators observed_by(StepObserver& observer) {
  TrainerCollaborators with;
  with.observer = &observer;
  return with;
}

Reason refusal(Trainer& trainer, const std::optional<TokenCounts>& tokens) {
  try {
    trainer.scale_up(tokens);
  } catch (const ScaleUpRefused& e) {
    return e.reason();
  }
  ADD_FAILURE() << "scale_up(" << (tokens ? to_text(*tokens) : "next stage") << ") was accepted";
  return Reason::kInvalid;
}

std::vector<double> losses(Trainer& trainer, int steps) {
  std::vector<double> out;
  for (int i = 0; i < steps; ++i) out.push_back(trainer.train_step().loss);
  return out;
}

// A trainer that gets requests beside one that does not, both two steps in, and what the first
// announces.
struct TwinRuns {
  explicit TwinRuns(ParallelContext& context)
      : trainer(config, context, Logger(1), observed_by(observer)),
        untouched(config, local, Logger(1)) {
    losses(trainer, 2);
    losses(untouched, 2);
  }
  Config config = two_stages();
  LocalContext local;
  Announcements observer;
  Trainer trainer;
  Trainer untouched;
};

TEST(ScaleUp, WithoutCountsStartsTheNextStage) {
  const Config config = two_stages();
  LocalContext context;
  Announcements observer;
  Trainer trainer(config, context, Logger(1), observed_by(observer));
  ASSERT_EQ(observer.seen.size(), 1u);
  EXPECT_EQ(observer.seen[0].stage, "s1");
  EXPECT_EQ(observer.seen[0].total_steps, 30);
  losses(trainer, 3);
  EXPECT_EQ(trainer.scale_up(std::nullopt), "stage 's2' started (growth normal, optimizer carry)");
  EXPECT_EQ(trainer.stage_index(), 1u);
  ASSERT_EQ(observer.seen.size(), 2u);
  const ModelState& now = observer.seen[1];
  EXPECT_EQ(now.stage_index, 1);
  EXPECT_EQ(now.stage, "s2");
  EXPECT_TRUE(now.tokens == (TokenCounts{12, 12, 24}));
  EXPECT_EQ(now.parameters, parameter_count(trainer.model()->config()));
  EXPECT_EQ(now.training_flops_per_token, training_flops_per_token(trainer.model()->config()));
  EXPECT_EQ(now.total_steps, 3 + 20) << "the stage started at step 3";
  // The stage's own schedule (2 warm-up steps to 0.005) and growth policy (normal: τ follows n).
  EXPECT_DOUBLE_EQ(trainer.train_step().lr, 0.0025);
  EXPECT_DOUBLE_EQ(trainer.model()->pattentions()[4]->scale(), std::sqrt(24.0));
}

TEST(ScaleUp, TheNextStagesCountsStartItToo) {
  const Config config = two_stages();
  LocalContext context;
  Trainer trainer(config, context, Logger(1));
  EXPECT_EQ(trainer.scale_up(TokenCounts{12, 12, 24}),
            "stage 's2' started (growth normal, optimizer carry)");
  EXPECT_EQ(trainer.stage_index(), 1u);
}

TEST(ScaleUp, OtherCountsGrowInPlaceKeepingTheFunction) {
  const Config config = two_stages();
  LocalContext context;
  Announcements observer;
  Trainer trainer(config, context, Logger(1), observed_by(observer));
  losses(trainer, 2);
  const double before = trainer.evaluate();
  EXPECT_EQ(trainer.scale_up(TokenCounts{8, 10, 20}),
            "grown in place to qkv 8, proj 10, ffn 20 (growth preserve, optimizer reset, re-warm 1 "
            "step)");
  EXPECT_EQ(trainer.stage_index(), 0u);
  EXPECT_NEAR(trainer.evaluate(), before, 1e-6);
  EXPECT_TRUE(trainer.optimizer().state().empty()) << "in-place growth starts a fresh optimizer";
  ASSERT_EQ(observer.seen.size(), 2u);
  EXPECT_EQ(observer.seen[1].stage, "s1");
  EXPECT_TRUE(observer.seen[1].tokens == (TokenCounts{8, 10, 20}));
  EXPECT_EQ(observer.seen[1].total_steps, 30);
}

TEST(ScaleUp, TheRequestChoosesTheGrowthAndTheOptimizerRule) {
  const Config config = two_stages();
  LocalContext context;
  Trainer trainer(config, context, Logger(1));
  losses(trainer, 2);
  Trainer::GrowthChoice choice;
  choice.growth = GrowthPolicy::kZero;
  choice.carry_optimizer = true;
  EXPECT_EQ(
      trainer.scale_up(TokenCounts{8, 10, 20}, choice),
      "grown in place to qkv 8, proj 10, ffn 20 (growth zero, optimizer carry, re-warm 1 step)");
  EXPECT_FALSE(trainer.optimizer().state().empty()) << "carry keeps the old tokens' moments";
  choice.carry_optimizer = false;
  EXPECT_EQ(trainer.scale_up(std::nullopt, choice),
            "stage 's2' started (growth zero, optimizer reset)");
  EXPECT_TRUE(trainer.optimizer().state().empty());
}

TEST(ScaleUp, PreserveIsRefusedForASoftmaxModel) {
  Config config = two_stages();
  config.model.norm = PattentionNorm::kSoftmax;
  LocalContext context;
  Trainer trainer(config, context, Logger(1));
  try {
    trainer.scale_up(TokenCounts{8, 10, 20});
    ADD_FAILURE() << "accepted";
  } catch (const ScaleUpRefused& e) {
    EXPECT_EQ(e.reason(), Reason::kInvalid);
    EXPECT_NE(std::string(e.what()).find("ask for growth normal or zero"), std::string::npos);
  }
  Trainer::GrowthChoice normal;
  normal.growth = GrowthPolicy::kNormal;
  EXPECT_EQ(
      trainer.scale_up(TokenCounts{8, 10, 20}, normal),
      "grown in place to qkv 8, proj 10, ffn 20 (growth normal, optimizer reset, re-warm 1 step)");
}

TEST(ScaleUp, RefusalsChangeNothing) {
  LocalContext context;
  TwinRuns runs(context);
  Trainer& trainer = runs.trainer;
  EXPECT_EQ(refusal(trainer, TokenCounts{4, 8, 16}), Reason::kInvalid);  // shrinks
  EXPECT_EQ(refusal(trainer, TokenCounts{8, 8, 16}), Reason::kInvalid);  // grows nowhere
  EXPECT_EQ(refusal(trainer, TokenCounts{0, 8, 16}), Reason::kInvalid);
  EXPECT_EQ(refusal(trainer, TokenCounts{1000000000000, 8, 16}), Reason::kOutOfMemory);
  try {
    trainer.scale_up(TokenCounts{8, 8, 1000000000000});
  } catch (const ScaleUpRefused& e) {
    EXPECT_NE(std::string(e.what()).find("rank 0 has"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("the model stays at qkv 8, proj 8, ffn 16"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(runs.observer.seen.size(), 1u) << "a refusal announced a model change";
  EXPECT_EQ(losses(trainer, 3), losses(runs.untouched, 3));
  trainer.scale_up(std::nullopt);
  EXPECT_EQ(refusal(trainer, std::nullopt), Reason::kNoStage);  // s2 is the last
}

TEST(ScaleUp, ANextStageInAnotherLayoutIsRefused) {
  const Config config = two_stages("{tp: 2}");
  LocalContext context;
  Trainer trainer(config, context, Logger(1));
  EXPECT_EQ(refusal(trainer, std::nullopt), Reason::kNoStage);
  EXPECT_EQ(trainer.stage_index(), 0u);
}

// Another rank whose growth allocation fails: its flag arrives through gather_over_world.
class FailingPeerContext : public LocalContext {
 public:
  int64_t world_size() const override { return 2; }
  torch::Tensor gather_over_world(const torch::Tensor& values) override {
    const bool growth_flag = values.scalar_type() == torch::kInt64;
    const torch::Tensor peer =
        growth_flag ? torch::ones_like(values) : torch::tensor({0.0, 1e30}, torch::kFloat64);
    return torch::cat({values, peer});
  }
};

TEST(ScaleUp, GrowthThatFailsOnAnotherRankLeavesTheRunAsItWas) {
  FailingPeerContext failing;
  TwinRuns runs(failing);
  Trainer& trainer = runs.trainer;
  for (const std::optional<TokenCounts>& request :
       {std::optional<TokenCounts>{}, std::optional<TokenCounts>{TokenCounts{8, 10, 20}}}) {
    try {
      trainer.scale_up(request);
      ADD_FAILURE() << "accepted although rank 1 failed";
    } catch (const ScaleUpRefused& e) {
      EXPECT_EQ(e.reason(), Reason::kGrowthFailed);
      EXPECT_NE(std::string(e.what()).find("failed on rank 1"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(trainer.stage_index(), 0u);
  EXPECT_TRUE(token_counts(trainer.model()->config()) == (TokenCounts{8, 8, 16}));
  EXPECT_EQ(trainer.model()->pattentions()[4]->key_tokens.size(0), 16);
  EXPECT_EQ(runs.observer.seen.size(), 1u);
  EXPECT_EQ(losses(trainer, 3), losses(runs.untouched, 3)) << "the failed growth changed the run";
}

}  // namespace
}  // namespace tf
