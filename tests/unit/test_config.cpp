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
  EXPECT_EQ(c.model.norm, PattentionNorm::kL2NormGelu);
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
  EXPECT_EQ(c.model.norm, PattentionNorm::kSoftmax);
  EXPECT_EQ(c.parallel.tp, 2);
  EXPECT_EQ(error_of("", {"train.stepz=3"}),
            "test.yaml: --set train.stepz=3: 'train.stepz': unknown key; did you mean "
            "'train.steps'?");
  EXPECT_EQ(error_of("", {"train.steps=x"}),
            "test.yaml: --set train.steps=x: 'train.steps': cannot read 'x' as an integer");
  EXPECT_EQ(error_of("", {"train.steps"}), "--set train.steps: expected key.path=value");
  // An empty value is the empty string: it turns an address off instead of keeping the default.
  EXPECT_EQ(parse_config("", "test.yaml", {"control.address="}).control.address, "");
  EXPECT_EQ(parse_config("", "test.yaml", {"control.address=\"\""}).control.address, "");
  EXPECT_EQ(error_of("", {"train.steps="}),
            "test.yaml: --set train.steps=: 'train.steps': cannot read '' as an integer");
}

TEST(Config, OverridesReachListItems) {
  const std::string stages =
      "stages:\n  - {name: a, steps: 2, qkv_tokens: 16}\n  - {name: b, steps: 2, qkv_tokens: 32}\n";
  const Config c =
      parse_config(stages, "test.yaml",
                   {"stages[1].growth=normal", "stages[1].parallel.tp=2", "stages[0].parallel.tp=2",
                    "stages[0]={name: first, steps: 3, qkv_tokens: 8}"});
  ASSERT_EQ(c.stages.size(), 2u);
  EXPECT_EQ(c.stages[0].name, "first");
  EXPECT_EQ(c.stages[0].steps, 3);
  EXPECT_EQ(c.stages[1].growth, GrowthPolicy::kNormal);
  EXPECT_EQ(c.stages[1].qkv_tokens, 32);
  EXPECT_EQ(c.stages[1].parallel.tp, 2);
  // The item replaced as a whole: the earlier override of one of its keys is gone with it.
  EXPECT_NE(c.stages[0].parallel.tp, 2);
  EXPECT_EQ(error_of(stages, {"stages[2].growth=normal"}),
            "--set stages[2].growth=normal: 'stages' has 2 items; there is no [2]");
  EXPECT_EQ(error_of(stages, {"stages[1].growht=normal"}),
            "test.yaml: --set stages[1].growht=normal: 'stages[1].growht': unknown key; did you "
            "mean 'stages[1].growth'?");
  EXPECT_EQ(error_of(stages, {"train[0].steps=1"}),
            "--set train[0].steps=1: 'train' is not a list");
  EXPECT_EQ(error_of(stages, {"stages[1].name.x=1"}),
            "--set stages[1].name.x=1: 'stages[1].name' is not a mapping");
  EXPECT_EQ(error_of(stages, {"stages[x].steps=1"}),
            "--set stages[x].steps=1: 'stages[x]': a list item is name[N], N a number below 10^9");
  EXPECT_EQ(error_of(stages, {"stages[99999999999].steps=1"}),
            "--set stages[99999999999].steps=1: 'stages[99999999999]': a list item is name[N], N "
            "a number below 10^9");
  EXPECT_EQ(error_of(stages, {"[0].steps=1"}), "--set [0].steps=1: empty part in key '[0].steps'");
}

TEST(Config, BlendWeightsArePositiveAndFinite) {
  for (const char* weight : {"0", "-1", ".inf", ".nan"}) {
    EXPECT_EQ(error_of(std::string("data: {train: [{path: /d/a, weight: ") + weight + "}]}\n"),
              "test.yaml:1:29: 'data.train[0].weight': must be a positive finite number")
        << weight;
  }
}

TEST(Config, AbsurdSizesAreRefusedBeforeAnythingCountsThem) {
  EXPECT_EQ(error_of("model: {hidden_size: 4294967296}\n"),
            "test.yaml:1:9: 'model.hidden_size': must be within [1, 2147483647], not 4294967296");
  EXPECT_EQ(error_of("", {"train.micro_batch=0"}),
            "test.yaml: --set train.micro_batch=0: 'train.micro_batch': must be within "
            "[1, 2147483647], not 0");
  // Every size allowed on its own, but 2^31 x 2^31 x ... parameters.
  EXPECT_EQ(error_of("model: {hidden_size: 1048576, num_heads: 1, num_layers: 1000000,\n"
                     "        ffn_tokens: 1000000}\n"),
            "test.yaml:1:8: 'model': a model of about 2.1e+18 parameters; at most 2^50 "
            "(1.13e+15) are supported");
  EXPECT_NE(error_of("model: {hidden_size: 65536, num_heads: 64, num_layers: 100}\n"
                     "stages:\n  - {name: a, steps: 1, ffn_tokens: 2000000000}\n")
                .find("test.yaml:3:5: 'stages[0]': a model of about 2.62e+16 parameters"),
            std::string::npos);
}

TEST(Config, StrictYamlRefusesWhatYamlCppAcceptsSilently) {
  EXPECT_EQ(error_of("train:\n  steps: 5\n  lr: 0.1\n  steps: 9\n"),
            "test.yaml:4:3: duplicate key 'steps' (first at line 2)");
  EXPECT_EQ(error_of("train: {steps: 5}\nmodel: {}\ntrain: {lr: 1}\n"),
            "test.yaml:3:1: duplicate key 'train' (first at line 1)");
  // The same key in two different mappings is fine.
  EXPECT_EQ(
      error_of("train: {steps: 5}\nstages:\n  - {name: a, steps: 1}\n  - {name: b, steps: 2}\n"),
      "no error");
  EXPECT_EQ(error_of("", {"train={steps: 1, steps: 2}"}),
            "--set train={steps: 1, steps: 2}:1:12: duplicate key 'steps' (first at line 1)");
  EXPECT_EQ(error_of("base: &b {steps: 5}\ntrain: *b\n"),
            "test.yaml:1:7: YAML anchors and aliases are not supported; write the values out");
  EXPECT_EQ(error_of("5\n", {"train.steps=3"}),
            "test.yaml: a config is a mapping of sections (model:, train:, ...), not a single "
            "value");
  EXPECT_EQ(error_of("train: {steps: 5}\n---\ntrain: {steps: 6}\n"),
            "test.yaml: more than one YAML document ('---'); a config is one document");
  // Nesting deep enough to exhaust a recursive parser's stack is refused by yaml-cpp's guard.
  const std::string deep = "train: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  EXPECT_NE(error_of(deep).find("test.yaml:1:"), std::string::npos) << error_of(deep);
  EXPECT_NE(error_of(deep).find("invalid YAML"), std::string::npos) << error_of(deep);
}

TEST(Config, InvalidYamlNamesLine) {
  EXPECT_NE(error_of("model:\n  hidden_size: [1,\n").find("test.yaml:"), std::string::npos);
  EXPECT_NE(error_of("model:\n  hidden_size: [1,\n").find("invalid YAML"), std::string::npos);
}

// A growth that cannot be applied is refused at load, not at the stage boundary; the first
// stage's growth applies to nothing.
TEST(Config, PreserveGrowthWithSoftmaxIsRefusedWhereItWouldApply) {
  const std::string head =
      "model: {norm: softmax, qkv_tokens: 16}\n"
      "stages:\n  - {name: a, steps: 2}\n  - {name: b, qkv_tokens: 32, steps: 2";
  const std::string stages = head + ", growth: preserve}\n";
  EXPECT_NE(error_of(stages).find("'stages[1].growth': is 'preserve', which"), std::string::npos)
      << error_of(stages);
  EXPECT_NE(error_of(stages).find("set growth: normal or zero"), std::string::npos);
  EXPECT_EQ(error_of(head + "}\n"), "no error");  // the default, normal
  const std::string init = "model: {norm: softmax, init_from: /w/small.safetensors}\n";
  EXPECT_NE(error_of(init).find("'model.init_growth': is 'preserve'"), std::string::npos)
      << error_of(init);
  EXPECT_EQ(error_of(init, {"model.init_growth=zero"}), "no error");
  EXPECT_EQ(error_of("model: {norm: softmax}\n"), "no error");
}

// Every field away from its default, so that a field to_yaml drops or misspells fails here.
TEST(Config, RoundTripsThroughYaml) {
  const Config c = parse_config(R"(
model: {hidden_size: 96, num_layers: 3, num_heads: 6, qkv_tokens: 40, proj_tokens: 41,
        ffn_tokens: 170, seq_len: 128, vocab_size: 300, norm: softmax, rotary_pct: 0.5,
        init_from: /w/model.safetensors, init_growth: zero}
train: {steps: 77, global_batch: 12, micro_batch: 3, lr: 0.002, min_lr: 0.0001,
        warmup_steps: 7, weight_decay: 0.05, grad_clip: 0.5, beta1: 0.8, beta2: 0.99,
        eps: 1.0e-6, seed: 99, precision: bf16, log_interval: 3, eval_interval: 11,
        eval_batches: 2, threads: 2, device: cpu, activation_checkpointing: layer,
        ignore_memory_check: true, metrics_file: /m/run.jsonl}
data: {train: [{path: /d/a, weight: 2}, {path: /d/b}], valid: [{path: /d/v, weight: 0.5}],
       valid_fraction: 0.2, tokenizer: /t/tokenizer.json,
       synthetic: {documents: 30, doc_len: 40, seed: 8}}
parallel: {tp: 2, pp: 1, dp: 3, zero1: true}
checkpoint: {dir: /c, interval: 9, keep: 5}
control: {address: 127.0.0.1:7001, token_env: TF_TOKEN, tls_cert: c.pem, tls_key: k.pem}
metrics: {address: 127.0.0.1:7002, peak_flops: 1.5e12}
stages:
  - {name: s1, qkv_tokens: 32, steps: 5}
  - {name: s2, qkv_tokens: 48, proj_tokens: 50, ffn_tokens: 200, steps: 6, lr: 0.001,
     min_lr: 0.0002, warmup_steps: 2, growth: normal, optimizer: carry,
     parallel: {tp: 4, dp: 1, zero1: false}}
)",
                                "test.yaml");
  const Config a = parse_config(to_yaml(c), "resolved.yaml");
  const ModelConfig& m = a.model;
  EXPECT_EQ(m.hidden_size, 96);
  EXPECT_EQ(m.num_layers, 3);
  EXPECT_EQ(m.num_heads, 6);
  EXPECT_EQ(m.qkv_tokens, 40);
  EXPECT_EQ(m.proj_tokens, 41);
  EXPECT_EQ(m.ffn_tokens, 170);
  EXPECT_EQ(m.seq_len, 128);
  EXPECT_EQ(m.vocab_size, 300);
  EXPECT_EQ(m.norm, PattentionNorm::kSoftmax);
  EXPECT_EQ(m.rotary_pct, 0.5);
  EXPECT_EQ(m.init_from, "/w/model.safetensors");
  EXPECT_EQ(m.init_growth, GrowthPolicy::kZero);
  const TrainConfig& t = a.train;
  EXPECT_EQ(t.steps, 77);
  EXPECT_EQ(t.global_batch, 12);
  EXPECT_EQ(t.micro_batch, 3);
  EXPECT_EQ(t.lr, 0.002);
  EXPECT_EQ(t.min_lr, 0.0001);
  EXPECT_EQ(t.warmup_steps, 7);
  EXPECT_EQ(t.weight_decay, 0.05);
  EXPECT_EQ(t.grad_clip, 0.5);
  EXPECT_EQ(t.beta1, 0.8);
  EXPECT_EQ(t.beta2, 0.99);
  EXPECT_EQ(t.eps, 1.0e-6);
  EXPECT_EQ(t.seed, 99u);
  EXPECT_EQ(t.precision, Precision::kBf16);
  EXPECT_EQ(t.log_interval, 3);
  EXPECT_EQ(t.metrics_file, "/m/run.jsonl");
  EXPECT_EQ(t.eval_interval, 11);
  EXPECT_EQ(t.eval_batches, 2);
  EXPECT_EQ(t.threads, 2);
  EXPECT_EQ(t.device, DeviceSetting::kCpu);
  EXPECT_EQ(t.activation_checkpointing, ActivationCheckpointing::kLayer);
  EXPECT_TRUE(t.ignore_memory_check);
  const DataConfig& d = a.data;
  ASSERT_EQ(d.train.size(), 2u);
  EXPECT_EQ(d.train[0].path, "/d/a");
  EXPECT_EQ(d.train[0].weight, 2.0);
  EXPECT_EQ(d.train[1].path, "/d/b");
  EXPECT_EQ(d.train[1].weight, 1.0);
  ASSERT_EQ(d.valid.size(), 1u);
  EXPECT_EQ(d.valid[0].path, "/d/v");
  EXPECT_EQ(d.valid[0].weight, 0.5);
  EXPECT_EQ(d.valid_fraction, 0.2);
  EXPECT_EQ(d.tokenizer, "/t/tokenizer.json");
  EXPECT_EQ(d.synthetic.documents, 30);
  EXPECT_EQ(d.synthetic.doc_len, 40);
  EXPECT_EQ(d.synthetic.seed, 8u);
  EXPECT_EQ(a.parallel.tp, 2);
  EXPECT_EQ(a.parallel.dp, 3);
  EXPECT_TRUE(a.parallel.zero1);
  EXPECT_EQ(a.checkpoint.dir, "/c");
  EXPECT_EQ(a.checkpoint.interval, 9);
  EXPECT_EQ(a.checkpoint.keep, 5);
  EXPECT_EQ(a.control.address, "127.0.0.1:7001");
  EXPECT_EQ(a.control.token_env, "TF_TOKEN");
  EXPECT_EQ(a.control.tls_cert, "c.pem");
  EXPECT_EQ(a.control.tls_key, "k.pem");
  EXPECT_EQ(a.metrics.address, "127.0.0.1:7002");
  EXPECT_EQ(a.metrics.peak_flops, 1.5e12);
  ASSERT_EQ(a.stages.size(), 2u);
  const StageConfig& s2 = a.stages[1];
  EXPECT_EQ(a.stages[0].name, "s1");
  EXPECT_EQ(a.stages[0].qkv_tokens, 32);
  EXPECT_EQ(a.stages[0].proj_tokens, 41);  // from model
  EXPECT_EQ(a.stages[0].steps, 5);
  EXPECT_EQ(a.stages[0].parallel.tp, 2);  // from parallel
  EXPECT_EQ(s2.name, "s2");
  EXPECT_EQ(s2.qkv_tokens, 48);
  EXPECT_EQ(s2.proj_tokens, 50);
  EXPECT_EQ(s2.ffn_tokens, 200);
  EXPECT_EQ(s2.steps, 6);
  EXPECT_EQ(s2.lr, 0.001);
  EXPECT_EQ(s2.min_lr, 0.0002);
  EXPECT_EQ(s2.warmup_steps, 2);
  EXPECT_EQ(s2.growth, GrowthPolicy::kNormal);
  EXPECT_EQ(s2.optimizer, OptimizerRule::kCarry);
  EXPECT_EQ(s2.parallel.tp, 4);
  EXPECT_EQ(s2.parallel.dp, 1);
  EXPECT_FALSE(s2.parallel.zero1);
  // token_file is the other branch of a choice: its own round trip.
  const Config f = parse_config("control: {token_file: /secret/token}\n", "f.yaml");
  EXPECT_EQ(parse_config(to_yaml(f), "again.yaml").control.token_file, "/secret/token");
}

TEST(Config, ShippedConfigsLoad) {
  for (const char* name :
       {"tiny", "tiny-stages", "150m", "450m", "900m", "1.5b", "124m", "354m", "757m", "1.4b"}) {
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
