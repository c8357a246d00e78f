#include <gtest/gtest.h>

#include "core/config.h"
#include "core/error.h"
#include "core/sizes.h"

namespace tf {
namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  try {
    parse_config(yaml, "test.yaml", sets);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, DefaultsAndValues) {
  const Config c =
      parse_config("model: {hidden_size: 128, num_heads: 4}\ntrain: {steps: 7}\n", "test.yaml");
  EXPECT_EQ(c.model.hidden_size, 128);
  EXPECT_EQ(c.model.num_heads, 4);
  EXPECT_EQ(c.model.num_layers, 12);
  EXPECT_EQ(c.train.steps, 7);
  EXPECT_EQ(c.model.norm, "l2_norm_gelu");
}

TEST(Config, UnknownKeyNamesLineAndSuggests) {
  EXPECT_EQ(error_of("model:\n  hidden_size: 64\n  num_layer: 2\n"),
            "test.yaml:3:3: 'model.num_layer': unknown key; did you mean 'model.num_layers'?");
  EXPECT_EQ(error_of("modle: {}\n"), "test.yaml:1:1: 'modle': unknown key; did you mean 'model'?");
}

TEST(Config, WrongTypeNamesKey) {
  EXPECT_EQ(error_of("train:\n  steps: many\n"),
            "test.yaml:2:3: 'train.steps': cannot read 'many' as an integer");
  EXPECT_EQ(error_of("train:\n  lr: [1, 2]\n"),
            "test.yaml:2:3: 'train.lr': expected a single value");
}

TEST(Config, CrossFieldChecks) {
  EXPECT_EQ(error_of("model: {hidden_size: 100, num_heads: 3}\n"),
            "test.yaml:1:27: 'model.num_heads': must divide hidden_size (100)");
  EXPECT_EQ(error_of("train: {global_batch: 10, micro_batch: 4}\n"),
            "test.yaml:1:9: 'train.global_batch': must be a multiple of micro_batch (4)");
  EXPECT_EQ(
      error_of("model: {norm: relu}\n"),
      "test.yaml:1:9: 'model.norm': 'relu' is not one of: l2_norm_gelu, gelu_l2_norm, softmax");
  EXPECT_EQ(
      error_of("stages:\n  - {name: a, qkv_tokens: 10}\n  - {name: b, qkv_tokens: 5}\n"),
      "test.yaml:3:5: 'stages[1]': has fewer tokens than stage 'a'; token counts never shrink");
}

TEST(Config, OverridesApplyAndAreNamedInErrors) {
  const Config c = parse_config("train: {steps: 7}\n", "test.yaml",
                                {"train.steps=20", "model.norm=softmax", "parallel.tp=2"});
  EXPECT_EQ(c.train.steps, 20);
  EXPECT_EQ(c.model.norm, "softmax");
  EXPECT_EQ(c.parallel.tp, 2);
  EXPECT_EQ(error_of("", {"train.stepz=3"}),
            "test.yaml: --set train.stepz=3: 'train.stepz': unknown key; did you mean "
            "'train.steps'?");
  EXPECT_EQ(error_of("", {"train.steps=x"}),
            "test.yaml: --set train.steps=x: 'train.steps': cannot read 'x' as an integer");
  EXPECT_EQ(error_of("", {"train.steps"}), "--set train.steps: expected key.path=value");
}

TEST(Config, InvalidYamlNamesLine) {
  EXPECT_NE(error_of("model:\n  hidden_size: [1,\n").find("test.yaml:"), std::string::npos);
  EXPECT_NE(error_of("model:\n  hidden_size: [1,\n").find("invalid YAML"), std::string::npos);
}

TEST(Config, RoundTripsThroughYaml) {
  const Config c = parse_config(
      "model: {hidden_size: 96, num_heads: 6}\nstages:\n"
      "  - {name: s1, qkv_tokens: 32, steps: 5}\n",
      "test.yaml");
  const Config again = parse_config(to_yaml(c), "resolved.yaml");
  EXPECT_EQ(to_yaml(again), to_yaml(c));
  EXPECT_EQ(again.stages.at(0).qkv_tokens, 32);
}

TEST(Config, ShippedConfigsLoad) {
  for (const char* name : {"tiny", "tiny-stages", "150m", "450m", "900m", "1.5b", "124m", "354m",
                           "757m", "1.4b"}) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(load_config(std::string(TF_SOURCE_DIR) + "/configs/" + name + ".yaml"));
  }
}

TEST(Sizes, ReleasedAndChainModels) {
  ModelConfig m150;  // defaults are the 150M sizes
  m150.vocab_size = 50277;
  EXPECT_EQ(m150.padded_vocab(), 50304);
  EXPECT_EQ(parameter_count(m150), 151881216);
  ModelConfig chain = m150;
  chain.seq_len = 1024;
  chain.qkv_tokens = chain.proj_tokens = 9232;
  chain.ffn_tokens = 36928;
  EXPECT_NEAR(parameter_count(chain) / 1e9, 1.400, 0.005);
  chain.qkv_tokens = chain.proj_tokens = 576;
  chain.ffn_tokens = 2304;
  EXPECT_NEAR(parameter_count(chain) / 1e6, 123.6, 0.1);
  // 150M: 2 x 113,246,208 + 2 x 50304 x 768 + 4 x 12 x 2048 x 768 forward FLOPs per token.
  EXPECT_DOUBLE_EQ(forward_flops_per_token(m150),
                   2.0 * 113246208 + 2.0 * 50304 * 768 + 4.0 * 12 * 2048 * 768);
  EXPECT_DOUBLE_EQ(training_flops_per_token(m150), 3 * forward_flops_per_token(m150));
}

}  // namespace
}  // namespace tf
