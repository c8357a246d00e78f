// The plan of a config at a rank count (core/launch_plan.h), made in one process, and the
// resolved config's floats in their shortest exact form (core/number_text.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <string>

#include "core/config.h"
#include "core/error.h"
#include "core/launch_plan.h"
#include "core/number_text.h"

namespace tf {
namespace {

TEST(ShortestText, PrintsTheShortestDecimalThatReadsBack) {
  EXPECT_EQ(shortest_text(6e-4), "0.0006");
  EXPECT_EQ(shortest_text(3.0e-4), "0.0003");
  EXPECT_EQ(shortest_text(1e-8), "1e-08");
  EXPECT_EQ(shortest_text(1.0), "1");
  EXPECT_EQ(shortest_text(0.95), "0.95");
  EXPECT_EQ(shortest_text(-2.5), "-2.5");
  EXPECT_EQ(shortest_text(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(shortest_text(std::numeric_limits<double>::infinity()), "inf");
  for (const double value : {6e-4, 1e-8, 3.0e-4, 1.0 / 3, 2.0 / 3, 0.1 + 0.2, 1e300, 5e-324,
                             std::numeric_limits<double>::max()}) {
    const std::string text = shortest_text(value);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
  }
}

TEST(ShortestText, TheResolvedConfigWritesShortFloatsThatReadBack) {
  const Config c = parse_config(
      "train: {lr: 6.0e-4, min_lr: 3.0e-5, eps: 1.0e-8}\n"
      "model: {rotary_pct: 0.3333333333333333}\n",
      "test.yaml");
  const std::string text = to_yaml(c);
  EXPECT_NE(text.find("lr: 0.0006\n"), std::string::npos) << text;
  EXPECT_NE(text.find("min_lr: 3e-05\n"), std::string::npos) << text;
  EXPECT_NE(text.find("eps: 1e-08\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("0.000599999"), std::string::npos) << text;
  const Config again = parse_config(text, "resolved.yaml");
  EXPECT_EQ(again.train.lr, 6.0e-4);
  EXPECT_EQ(again.train.min_lr, 3.0e-5);
  EXPECT_EQ(again.train.eps, 1.0e-8);
  EXPECT_EQ(again.model.rotary_pct, 1.0 / 3);
}

// Two stages at dp auto and a third with its own layout: two launches.
Config chain() {
  return parse_config(
      "model: {hidden_size: 64, num_layers: 4, num_heads: 4, seq_len: 64, vocab_size: 257}\n"
      "train: {global_batch: 32, micro_batch: 2}\n"
      "stages:\n"
      "  - {name: a, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 64}\n"
      "  - {name: b, qkv_tokens: 32, proj_tokens: 32, ffn_tokens: 128}\n"
      "  - {name: c, qkv_tokens: 64, proj_tokens: 64, ffn_tokens: 256,\n"
      "     parallel: {tp: 2, pp: 2, dp: 2}}\n",
      "chain.yaml");
}

TEST(LaunchPlan, ResolvesDpAutoToTheRankCount) {
  const std::vector<StagePlan> plans = plan_launches(chain(), 8);
  ASSERT_EQ(plans.size(), 3u);
  EXPECT_EQ(plans[0].job, 0u);
  EXPECT_EQ(plans[1].job, 0u);
  EXPECT_EQ(plans[2].job, 1u);
  EXPECT_EQ(plans[0].parallel.dp, 8);
  EXPECT_EQ(plans[0].ranks, 8);
  EXPECT_EQ(plans[0].accumulation, 2);  // 32 / (2 x 8)
  EXPECT_EQ(plans[2].parallel.dp, 2);   // fixed: its own launch of 2 x 2 x 2 ranks
  EXPECT_EQ(plans[2].ranks, 8);
  EXPECT_EQ(plans[2].accumulation, 8);
  EXPECT_EQ(plans[2].split.size(), 2u);
  // Each stage's memory is the layout estimate of its own token counts.
  for (const StagePlan& plan : plans) {
    const MemoryEstimate need =
        estimate_layout_memory(chain(), plan.stage.tokens, plan.parallel, plan.ranks);
    EXPECT_EQ(plan.need.total(), need.total()) << plan.stage.name;
    EXPECT_GT(plan.need.total(), 0) << plan.stage.name;
    EXPECT_LT(plan.alternative.total(), plan.need.total()) << "checkpointing saves activations";
  }
  EXPECT_GT(plans[1].need.total(), plans[0].need.total());
}

TEST(LaunchPlan, LeavesDpAutoUnknownWithoutARankCount) {
  const std::vector<StagePlan> plans = plan_launches(chain(), 0);
  EXPECT_FALSE(plans[0].known());
  EXPECT_EQ(plans[0].parallel.dp, 0);
  EXPECT_EQ(plans[0].need.total(), 0);
  EXPECT_TRUE(plans[2].known());  // its dp is fixed
  EXPECT_GT(plans[2].need.total(), 0);
}

TEST(LaunchPlan, RefusesABatchThatDoesNotSplit) {
  try {
    plan_launches(chain(), 3);
    FAIL() << "32 sequences do not split over 3 x 2";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("chain.yaml: 'train.global_batch' (32) must be a "
                                         "multiple of micro_batch x data-parallel size (2 x 3), "
                                         "for stage 'a' at tp 1 x pp 1 x dp 3 (3 ranks)"),
              std::string::npos)
        << e.what();
  }
}

TEST(LaunchPlan, RefusesAStageWithFewerTokensThanTp) {
  Config c = chain();
  c.stages[2].parallel.tp = 128;
  c.stages[2].parallel.dp = 0;
  c.train.global_batch = 512;  // splits over the 256 data-parallel ranks of stages a and b
  try {
    plan_launches(c, 256);
    FAIL() << "64 qkv tokens cannot be split over tp 128";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("chain.yaml: stage 'c': 'stages[2].qkv_tokens' (64) must "
                                         "be at least parallel.tp (128)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tf
