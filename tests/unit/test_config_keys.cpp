// The key lists of core/config.h: the choice tables, the ranges and their messages, the resolved
// config's round trip through to_yaml, the doc tables made from the lists, and the job layout.
#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "core/config.h"
#include "core/config_doc.h"
#include "core/config_keys.h"
#include "core/error.h"
#include "core/layout.h"

namespace tf {
namespace {

template <typename E>
void expect_round_trip() {
  for (const auto& [value, name] : ChoiceNames<E>::kNames) {
    EXPECT_EQ(parse_choice<E>(name), value) << name;
    EXPECT_STREQ(choice_name(value), name);
  }
  EXPECT_FALSE(parse_choice<E>("no-such-choice").has_value());
  EXPECT_FALSE(parse_choice<E>("").has_value());
}

TEST(ConfigChoices, EveryNameParsesToItsValueAndBack) {
  expect_round_trip<PattentionNorm>();
  expect_round_trip<GrowthPolicy>();
  expect_round_trip<OptimizerRule>();
  expect_round_trip<Precision>();
  expect_round_trip<DeviceSetting>();
  expect_round_trip<ActivationCheckpointing>();
  expect_round_trip<PipelineSchedule>();
  EXPECT_EQ(choice_list<GrowthPolicy>(), "zero, normal, preserve");
  EXPECT_EQ(choice_list<PipelineSchedule>("|"), "1f1b|gpipe");
}

TEST(ConfigChoices, AMisspelledChoiceIsRefusedWithTheList) {
  EXPECT_EQ(testing::error_of([] { parse_config("train:\n  precision: fp16\n", "test.yaml"); }),
            "test.yaml:2:3: 'train.precision': 'fp16' is not one of: fp32, bf16");
}

TEST(KeyRange, MessagesSayTheRange) {
  using namespace key_ranges;
  EXPECT_EQ(size().violation(0), "must be within [1, 2147483647], not 0");
  EXPECT_EQ(size().violation(5), "");
  EXPECT_EQ(at_least(2).violation(1), "must be at least 2");
  EXPECT_EQ(non_negative("0 disables").violation(-1), "must not be negative (0 disables)");
  EXPECT_EQ(non_negative().violation(-1), "must not be negative");
  EXPECT_EQ(positive().violation(0), "must be positive");
  EXPECT_EQ(positive_finite().violation(1.0 / 0.0), "must be a positive finite number");
  EXPECT_EQ(within('[', 0, 1, ')').violation(1), "must be within [0, 1)");
  EXPECT_EQ(within('[', 0, 1, ')').violation(0), "");
  EXPECT_EQ(within('(', 0, 1, ')').violation(0), "must be within (0, 1)");
  EXPECT_EQ(required().violation(std::string()), "is required");
  EXPECT_EQ(required().violation(std::string("a")), "");
  EXPECT_EQ(any().violation(-1e300), "");
  EXPECT_EQ(at_least(1).text(), "≥ 1");
  EXPECT_EQ(within('(', 0, 1, ']').text(), "(0, 1]");
}

// A stage's left-out keys take the run's values; the stage's own keys stay.
TEST(ConfigKeys, StagesInheritWhatTheyLeaveOut) {
  const Config c = parse_config(
      "model: {qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 32}\n"
      "train: {steps: 9, lr: 1e-3, min_lr: 1e-4, warmup_steps: 3}\n"
      "parallel: {tp: 2}\n"
      "stages:\n  - {name: a}\n  - {name: b, qkv_tokens: 32, lr: 5e-4, parallel: {pp: 2}}\n",
      "test.yaml");
  const StageConfig& a = c.stages[0];
  EXPECT_EQ(a.qkv_tokens, 16);
  EXPECT_EQ(a.steps, 9);
  EXPECT_DOUBLE_EQ(a.lr, 1e-3);
  EXPECT_EQ(a.warmup_steps, 3);
  EXPECT_EQ(a.parallel.tp, 2);
  const StageConfig& b = c.stages[1];
  EXPECT_EQ(b.qkv_tokens, 32);
  EXPECT_EQ(b.ffn_tokens, 32);
  EXPECT_DOUBLE_EQ(b.lr, 5e-4);
  EXPECT_DOUBLE_EQ(b.min_lr, 1e-4);
  EXPECT_EQ(b.parallel.tp, 2);
  EXPECT_EQ(b.parallel.pp, 2);
}

// to_yaml writes every key, so reading it back gives the same config and the same text.
TEST(ConfigKeys, ToYamlReadsBackToTheSameConfig) {
  const Config c = parse_config(
      "model: {norm: gelu_l2_norm, init_growth: zero, qkv_tokens: 16}\n"
      "train: {precision: bf16, device: cpu, activation_checkpointing: layer, seed: 99}\n"
      "data: {train: [{path: /d/a, weight: 2}], synthetic: {documents: 40}}\n"
      "parallel: {tp: 2, pp_layers: [12], pp_schedule: gpipe, zero1: true}\n"
      "stages:\n  - {name: a, optimizer: carry}\n  - {name: b, qkv_tokens: 32, growth: normal}\n",
      "test.yaml");
  const std::string text = to_yaml(c);
  const Config again = parse_config(text, "resolved.yaml");
  EXPECT_EQ(to_yaml(again), text);
  EXPECT_EQ(again.model.norm, PattentionNorm::kGeluL2Norm);
  EXPECT_EQ(again.train.seed, 99u);
  EXPECT_EQ(again.parallel.pp_schedule, PipelineSchedule::kGPipe);
  EXPECT_EQ(again.parallel.pp_layers, std::vector<int64_t>{12});
  EXPECT_EQ(again.data.train.at(0).weight, 2);
  EXPECT_EQ(again.stages.at(0).optimizer, OptimizerRule::kCarry);
  EXPECT_EQ(again.stages.at(1).growth, GrowthPolicy::kNormal);
  EXPECT_NE(text.find("norm: gelu_l2_norm"), std::string::npos) << text;
}

TEST(ConfigDoc, TablesComeFromTheDeclarations) {
  const std::string model = config_key_table("model");
  EXPECT_NE(model.find("| `hidden_size` | integer | 768 | [1, 2147483647] | d, the width"),
            std::string::npos)
      << model;
  EXPECT_NE(model.find("| `norm` | choice | `l2_norm_gelu` | `l2_norm_gelu`, `gelu_l2_norm`, "
                       "`softmax` |"),
            std::string::npos)
      << model;
  const std::string stages = config_key_table("stages");
  EXPECT_NE(stages.find("| `qkv_tokens` | integer | `model.qkv_tokens` |"), std::string::npos)
      << stages;
  const std::string data = config_key_table("data");
  EXPECT_NE(data.find("| `train[].weight` | number | 1 | > 0, finite |"), std::string::npos)
      << data;
  EXPECT_NE(data.find("| `synthetic.doc_len` | integer | 256 | ≥ 2 |"), std::string::npos) << data;
  EXPECT_THROW(config_key_table("modle"), Error);
}

std::string doc_error(const std::string& doc) {
  return testing::error_of([&] { with_config_key_tables(doc, "conf.md"); });
}

TEST(ConfigDoc, MarkersAreCheckedAndTablesReplaced) {
  std::string doc;
  for (const std::string& s : config_doc_sections()) {
    doc += "## " + s + "\n<!-- config-keys: " + s + " -->\nold table\n<!-- /config-keys -->\n";
  }
  const std::string made = with_config_key_tables(doc, "conf.md");
  EXPECT_EQ(made.find("old table"), std::string::npos);
  EXPECT_EQ(with_config_key_tables(made, "conf.md"), made);  // a made doc is its own fixed point
  EXPECT_EQ(doc_error("<!-- config-keys: model -->\n| x |\n"),
            "conf.md:1: the table of 'model' has no end marker <!-- /config-keys -->");
  EXPECT_EQ(doc_error("<!-- config-keys: modle -->\n<!-- /config-keys -->\n"),
            "conf.md:1: no config section 'modle'");
  EXPECT_EQ(doc_error("<!-- config-keys: model -->\n<!-- /config-keys -->\n"),
            "conf.md: no table of config section 'train'");
}

TEST(JobLayout, TheWorldSizeFitsTheLayoutOrIsRefusedWithTheNumbers) {
  ParallelConfig p;
  p.tp = 2;
  p.pp = 2;
  EXPECT_EQ(resolve_layout(p, 8, "run.yaml").dp, 2);
  EXPECT_EQ(resolve_layout(p, 8, "run.yaml").world_size(), 8);
  EXPECT_EQ(testing::error_of([&] { resolve_layout(p, 6, "run.yaml: stage 'b'"); }),
            "run.yaml: stage 'b' runs at tp 2 x pp 2, which does not fit the 6 ranks of this job: "
            "launch it with a multiple of 4 ranks");
  p.dp = 1;
  EXPECT_EQ(resolve_layout(p, 4, "run.yaml").dp, 1);
  EXPECT_THROW(resolve_layout(p, 8, "run.yaml"), Error);  // dp fixed: exactly dp x tp x pp
  EXPECT_EQ(ranks_text(p), "4 ranks");
  EXPECT_EQ(planned_dp(p, 8), 1);
  p.dp = 0;
  EXPECT_EQ(planned_dp(p, 2), 1);  // at least 1, without the fit check
  EXPECT_EQ(planned_dp(p, 12), 3);
}

}  // namespace
}  // namespace tf
