// The Hugging Face layout: export from a checkpoint, import through model.init_from (frozen scales
// included), and the checks of config.json against the weights and the run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <map>

#include "checkpoint_test_util.h"
#include "checkpoint_tiny_config.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/hf_layout.h"
#include "core/checkpoint/initial_weights.h"
#include "core/checkpoint/safetensors.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

using nlohmann::json;
using testing::error_of;
using testing::ScratchDir;
using testing::tiny_checkpoint_config;

const Logger kQuiet(1);

TEST(HfLayout, KeyNames) {
  EXPECT_EQ(hf_key("embedding"), "model.embed_tokens.weight");
  EXPECT_EQ(hf_key("blocks.1.mlp.value_tokens"), "model.layers.1.mlp.value_tokens");
  EXPECT_EQ(hf_key("final_norm.bias"), "model.final_norm.bias");
}

class HfExport : public ::testing::Test {
 protected:
  // A model grown with `preserve` (frozen scales) at step 0, exported.
  void SetUp() override {
    Trainer small(tiny_checkpoint_config({"checkpoint.dir=" + (root_ / "small")}), context_,
                  kQuiet);
    for (int i = 0; i < 2; ++i) small.train_step();
    small.save_checkpoint();
    Trainer grown(tiny_checkpoint_config(grown_sets({"model.init_from=" + (root_ / "small/step_2"),
                                                     "model.init_growth=preserve",
                                                     "checkpoint.dir=" + (root_ / "grown")})),
                  context_, kQuiet);
    grown.save_checkpoint();
    batch_ = torch::randint(0, 257, {2, 16}, torch::kInt64);
    torch::NoGradGuard no_grad;
    logits_ = grown.model()->forward(batch_, context_.token_ops());
    export_hf(CheckpointReader(root_ / "grown/step_0"), export_, {{"extra.txt", "x"}});
  }
  static std::vector<std::string> grown_sets(std::vector<std::string> sets) {
    for (const char* s : {"model.qkv_tokens=24", "model.proj_tokens=16", "model.ffn_tokens=48"}) {
      sets.push_back(s);
    }
    return sets;
  }
  // A copy of the export with config.json and the weights changed.
  std::string variant(const std::string& name, const std::function<void(json&)>& config,
                      const std::function<void(std::map<std::string, torch::Tensor>&)>& weights) {
    const std::string dir = root_ / name;
    make_directory(dir);
    json c = json::parse(read_file(export_ + "/config.json"));
    config(c);
    write_file_synced(dir + "/config.json", c.dump());
    auto content = decode_safetensors(read_file(export_ + "/model.safetensors"), "export");
    weights(content.tensors);
    write_file_synced(
        dir + "/model.safetensors",
        encode_safetensors(NamedTensors(content.tensors.begin(), content.tensors.end())));
    return dir;
  }
  ScratchDir root_;
  std::string export_ = root_ / "hf";
  LocalContext context_;
  torch::Tensor batch_, logits_;
};

TEST_F(HfExport, ConfigCarriesSizesAndFrozenScalesAndImportGivesTheSameLogits) {
  const json config = json::parse(read_file(export_ + "/config.json"));
  EXPECT_EQ(config.at("model_type"), "tokenformer");
  EXPECT_EQ(config.at("vocab_size"), 384);
  EXPECT_EQ(config.at("tokenizer_vocab_size"), 257);
  EXPECT_EQ(config.at("qkv_tokens"), 24);
  EXPECT_EQ(config.at("ffn_tokens"), 48);
  EXPECT_EQ(config.at("pattention_scales").size(), 10u);
  EXPECT_EQ(config.at("pattention_scales")[0], 4.0);              // sqrt(16), frozen
  EXPECT_EQ(config.at("pattention_scales")[9], std::sqrt(40.0));  // the FFN's
  EXPECT_EQ(read_file(export_ + "/extra.txt"), "x");
  const auto weights = decode_safetensors(read_file(export_ + "/model.safetensors"), "export");
  EXPECT_EQ(weights.tensors.size(), 1u + 2 * 5 * 2 + 2);  // the tied embedding once

  ASSERT_TRUE(is_hf_directory(export_));
  EXPECT_FALSE(is_hf_directory(root_ / "grown/step_0"));
  EXPECT_EQ(InitialWeights(export_, 2).tokens(), (TokenCounts{24, 16, 48}));
  Trainer imported(tiny_checkpoint_config(grown_sets({"model.init_from=" + export_})), context_,
                   kQuiet);
  EXPECT_EQ(imported.model()->pattentions()[0]->tau_override(), 4.0);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(imported.model()->forward(batch_, context_.token_ops()), logits_));
}

TEST_F(HfExport, DisagreementsAreRefusedNamingFileAndKey) {
  const auto same = [](json&) {};
  const auto unchanged = [](std::map<std::string, torch::Tensor>&) {};
  std::string dir =
      variant("missing", same, [](auto& w) { w.erase("model.layers.1.key.key_tokens"); });
  EXPECT_EQ(error_of([&] { HfModel model(dir); }),
            dir + "/model.safetensors: tensor 'model.layers.1.key.key_tokens' is missing (" + dir +
                "/config.json has 2 layers)");
  dir = variant("shape", same, [](auto& w) {
    w["model.layers.0.mlp.value_tokens"] = torch::zeros({48, 31});
  });
  EXPECT_EQ(error_of([&] { HfModel model(dir); }),
            dir +
                "/model.safetensors: tensor 'model.layers.0.mlp.value_tokens' has shape [48, 31], "
                "but " +
                dir + "/config.json (ffn_tokens 48, hidden_size 32) says [48, 32]");
  dir = variant("extra", same, [](auto& w) { w["lm_head.weight"] = torch::zeros({384, 32}); });
  EXPECT_EQ(error_of([&] { HfModel model(dir); }),
            dir + "/model.safetensors: tensor 'lm_head.weight' is not part of the model " + dir +
                "/config.json describes (num_hidden_layers 2)");
  dir = variant(
      "scales", [](json& c) { c["pattention_scales"] = {1.0}; }, unchanged);
  EXPECT_EQ(error_of([&] { HfModel model(dir); }),
            dir +
                "/config.json: 'pattention_scales' must be null or a list of 10 numbers (5 per "
                "layer), not [1.0]");
  dir = variant(
      "layers",
      [](json& c) {
        c["num_hidden_layers"] = 3;
        c["pattention_scales"] = nullptr;
      },
      unchanged);
  EXPECT_EQ(error_of([&] { HfModel model(dir); }),
            dir + "/model.safetensors: tensor 'model.layers.2.key.key_tokens' is missing (" + dir +
                "/config.json has 3 layers)");
  dir = variant(
      "norm", [](json& c) { c["pattention_norm"] = "relu"; }, unchanged);
  EXPECT_EQ(error_of([&] { HfModel model(dir); }),
            dir +
                "/config.json: 'pattention_norm' is \"relu\", not one of l2_norm_gelu, "
                "gelu_l2_norm, softmax");
  dir = variant(
      "eps", [](json& c) { c["layer_norm_eps"] = 1e-6; }, unchanged);
  EXPECT_EQ(error_of([&] { HfModel model(dir); }),
            dir + "/config.json: 'layer_norm_eps' is 1e-06; the model computes with 1e-05 only");
  dir = variant(
      "heads", [](json& c) { c["num_attention_heads"] = 4; }, unchanged);
  TokenFormer model(tiny_checkpoint_config(grown_sets({})).model);
  EXPECT_EQ(error_of([&] { HfModel(dir).load_into(model); }),
            dir + "/config.json: 'num_attention_heads' is 4, but the run's model.num_heads is 2");
}

}  // namespace
}  // namespace tf
