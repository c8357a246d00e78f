// The authors' layout: key names, export from a checkpoint, import into a model, evaluation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "checkpoint_test_util.h"
#include "checkpoint_tiny_config.h"
#include "core/checkpoint/authors_layout.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/initial_weights.h"
#include "core/checkpoint/model_tensors.h"
#include "core/checkpoint/safetensors.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"
#include "launcher/evaluate_stream.h"

namespace tf {
namespace {

using testing::error_of;
using testing::ScratchDir;
using testing::tiny_checkpoint_config;

const Logger kQuiet(1);

TEST(AuthorsLayout, KeyNamesFollowTheReleasedCheckpoints) {
  EXPECT_EQ(authors_key("embedding", 12), "sequential.0.word_embeddings.weight");
  EXPECT_EQ(authors_key("blocks.0.query.key_tokens", 12),
            "sequential.2.attention.query.key_param_tokens");
  EXPECT_EQ(authors_key("blocks.11.proj.value_tokens", 12),
            "sequential.13.attention.proj.value_param_tokens");
  EXPECT_EQ(authors_key("blocks.3.mlp.key_tokens", 12), "sequential.5.mlp.key_param_tokens");
  EXPECT_EQ(authors_key("final_norm.weight", 12), "sequential.15.norm.weight");
  EXPECT_EQ(authors_key("final_norm.bias", 2), "sequential.5.norm.bias");
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override {
    Trainer trainer(tiny_checkpoint_config({"checkpoint.dir=" + root_.str()}), context_, kQuiet);
    for (int i = 0; i < 3; ++i) trainer.train_step();
    trainer.save_checkpoint();
    batch_ = torch::randint(0, 257, {2, 16}, torch::kInt64);
    torch::NoGradGuard no_grad;
    logits_ = trainer.model()->forward(batch_, context_.token_ops());
    exported_ = export_authors_layout(CheckpointReader(root_ / "step_3"), root_ / "export");
  }
  ScratchDir root_;
  LocalContext context_;
  torch::Tensor batch_, logits_;
  std::string exported_;
};

TEST_F(Export, ExportThenImportGivesBitIdenticalLogits) {
  EXPECT_EQ(exported_, root_ / "export/model.safetensors");
  const auto content = decode_safetensors(read_file(exported_), exported_);
  EXPECT_EQ(content.tensors.size(), 1u + 2 * 5 * 2 + 2);
  EXPECT_EQ(content.tensors.at("sequential.0.word_embeddings.weight").sizes(),
            torch::IntArrayRef({384, 32}));
  EXPECT_EQ(content.tensors.at("sequential.3.mlp.value_param_tokens").sizes(),
            torch::IntArrayRef({40, 32}));
  const auto config = nlohmann::json::parse(read_file(root_ / "export/config.json"));
  EXPECT_EQ(config.at("hidden_size"), 32);
  EXPECT_EQ(config.at("ffn_tokens"), 40);
  EXPECT_EQ(config.at("padded_vocab"), 384);

  // Through the config key, as a user fine-tuning a released model would.
  Trainer imported(tiny_checkpoint_config({"model.init_from=" + exported_}), context_, kQuiet);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(imported.model()->forward(batch_, context_.token_ops()), logits_));
}

TEST_F(Export, ImportValidatesShapesAndNamesFileAndKey) {
  auto content = decode_safetensors(read_file(exported_), exported_);
  const auto write = [&](const std::string& name) {
    NamedTensors named(content.tensors.begin(), content.tensors.end());
    write_file_synced(root_ / name, encode_safetensors(named));
    return root_ / name;
  };
  TokenFormer model(tiny_checkpoint_config().model);
  auto& embedding = content.tensors.at("sequential.0.word_embeddings.weight");
  const auto full_embedding = embedding.clone();

  // Unpadded (vocab_size rows) is accepted; the padding rows become zero.
  embedding = full_embedding.narrow(0, 0, 257).clone();
  import_authors_layout(write("unpadded.safetensors"), model);
  EXPECT_TRUE(torch::equal(model->embedding.narrow(0, 0, 257), embedding));
  EXPECT_EQ(model->embedding.narrow(0, 257, 127).abs().sum().item<float>(), 0.0f);

  embedding = full_embedding.narrow(0, 0, 200).clone();
  std::string path = write("short.safetensors");
  EXPECT_EQ(error_of([&] { import_authors_layout(path, model); }),
            path + ": tensor 'sequential.0.word_embeddings.weight' has shape [200, 32], the model "
                   "(embedding) needs [384, 32] (or at least 257 rows)");
  embedding = full_embedding;

  content.tensors.at("sequential.2.attention.key.value_param_tokens") = torch::zeros({15, 32});
  path = write("narrow.safetensors");
  EXPECT_EQ(error_of([&] { import_authors_layout(path, model); }),
            path + ": tensor 'sequential.2.attention.key.value_param_tokens' has shape [15, 32], "
                   "the model (blocks.0.key.value_tokens) needs [16, 32]");
  content.tensors.at("sequential.2.attention.key.value_param_tokens") = torch::zeros({16, 32});
  content.tensors.at("sequential.2.attention.key.value_param_tokens")[3][4] = NAN;
  path = write("nan.safetensors");
  EXPECT_EQ(error_of([&] { import_authors_layout(path, model); }),
            path + ": tensor 'sequential.2.attention.key.value_param_tokens' has values that are "
                   "not finite (inf or NaN)");
  content.tensors.erase("sequential.2.attention.key.value_param_tokens");
  path = write("missing.safetensors");
  EXPECT_EQ(error_of([&] { import_authors_layout(path, model); }),
            path + ": tensor 'sequential.2.attention.key.value_param_tokens' is missing");
}

// A smaller model (a checkpoint directory or an authors' file) starts a larger first stage:
// loaded at its size and grown; with `preserve` the grown model computes the same logits.
TEST_F(Export, InitFromASmallerModelGrowsIt) {
  const std::vector<std::string> larger{"model.qkv_tokens=24", "model.proj_tokens=16",
                                        "model.ffn_tokens=48", "model.init_growth=preserve"};
  for (const std::string& from : {root_ / "step_3", exported_}) {
    std::vector<std::string> sets = larger;
    sets.push_back("model.init_from=" + from);
    Trainer grown(tiny_checkpoint_config(sets), context_, kQuiet);
    EXPECT_EQ(grown.step(), 0) << from;
    const auto layers = grown.model()->pattentions();
    EXPECT_EQ(layers[0]->key_tokens.size(0), 24) << from;
    EXPECT_EQ(layers[4]->value_tokens.size(0), 48) << from;
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = grown.model()->forward(batch_, context_.token_ops());
    EXPECT_LT((logits - logits_).abs().max().item<double>(), 1e-5) << from;
  }
  // A file without parameter tokens in some layer is refused before a model is built.
  auto content = decode_safetensors(read_file(exported_), exported_);
  content.tensors.at("sequential.2.mlp.key_param_tokens") = torch::zeros({0, 32});
  NamedTensors named(content.tensors.begin(), content.tensors.end());
  const std::string empty = root_ / "empty.safetensors";
  write_file_synced(empty, encode_safetensors(named));
  EXPECT_EQ(error_of([&] { InitialWeights(empty, 2); }),
            empty + ": tensor 'sequential.2.mlp.key_param_tokens' has 0 rows; a Pattention layer "
                    "needs at least one parameter token");
  // Starting from a larger model than the first stage is refused by name.
  const std::string step = root_ / "step_3";
  EXPECT_EQ(error_of([&] {
              Trainer t(tiny_checkpoint_config({"model.qkv_tokens=8", "model.init_from=" + step}),
                        context_, kQuiet);
            }),
            step + " (model.init_from) holds qkv 16, proj 12, ffn 40 tokens, more than the first "
                   "stage 'main' (qkv 8, proj 12, ffn 40): a run can only start from a model as "
                   "large or smaller");
}

TEST(EvaluateStream, InOrderWindowsDropTheLastPartialOne) {
  TokenFormer model(tiny_checkpoint_config().model);
  model->init_parameters(5);
  const int64_t seq = 16, windows = 5;
  std::vector<int32_t> ids(windows * seq + 1 + 7);  // 7 tokens too few for a sixth window
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 37 + i / 3) % 257);
  const VectorTokenStream stream({ids});
  LocalContext context;
  double expected = 0;
  {
    torch::NoGradGuard no_grad;
    for (int64_t w = 0; w < windows; ++w) {
      std::vector<int64_t> window(ids.begin() + w * seq, ids.begin() + w * seq + seq + 1);
      expected += model->loss(torch::tensor(window).unsqueeze(0), context.token_ops())
                      .item<double>() / windows;
    }
  }
  for (int64_t batch : {1, 2, 5, 8}) {
    const StreamLoss r = evaluate_stream(model, stream, batch, context.token_ops());
    EXPECT_EQ(r.windows, windows);
    EXPECT_EQ(r.tokens, windows * seq);
    EXPECT_NEAR(r.loss, expected, 1e-6) << "batch " << batch;
    EXPECT_DOUBLE_EQ(r.perplexity, std::exp(r.loss));
  }
  const VectorTokenStream too_short({std::vector<int32_t>(seq, 1)});
  EXPECT_EQ(error_of([&] { evaluate_stream(model, too_short, 1, context.token_ops()); }),
            "evaluation data has 16 tokens, fewer than one window of seq_len + 1 = 17");
}

}  // namespace
}  // namespace tf
