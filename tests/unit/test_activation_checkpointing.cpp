// train.activation_checkpointing: layer recomputes each block in the backward pass; the losses and
// gradients are those of the run without it (the recomputed forward is the same arithmetic).
// Also train.precision: bf16 tracks fp32 (the losses of a short run within 2e-2 relative).
#include <gtest/gtest.h>

#include <cmath>

#include "core/config.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

Config small_config(const std::string& checkpointing, const std::string& precision = "fp32") {
  return parse_config(
      "model: {hidden_size: 32, num_layers: 3, num_heads: 2, qkv_tokens: 24, proj_tokens: 20,\n"
      "        ffn_tokens: 72, seq_len: 24, vocab_size: 257}\n"
      "train: {steps: 6, global_batch: 8, micro_batch: 4, lr: 0.003, warmup_steps: 2, seed: 5,\n"
      "        activation_checkpointing: " +
          checkpointing + ", precision: " + precision +
          "}\n"
          "data: {synthetic: {documents: 200, doc_len: 128}}\n",
      "inline.yaml");
}

std::vector<double> losses(const Config& config) {
  LocalContext context;
  const Logger quiet(1);
  Trainer trainer(config, context, quiet);
  std::vector<double> out;
  for (int64_t s = 0; s < config.train.steps; ++s) out.push_back(trainer.train_step().loss);
  return out;
}

TEST(ActivationCheckpointing, SameLossesAsWithout) {
  const auto plain = losses(small_config("none"));
  const auto recomputed = losses(small_config("layer"));
  ASSERT_EQ(plain.size(), recomputed.size());
  for (size_t s = 0; s < plain.size(); ++s) {
    EXPECT_NEAR(recomputed[s], plain[s], 1e-6 * plain[s]) << "step " << s + 1;
  }
}

TEST(ActivationCheckpointing, SameGradients) {
  const Config config = small_config("none");
  const auto gradients = [&](bool recompute) {
    TokenFormer model(config.model);
    model->init_parameters(config.train.seed);
    model->set_activation_checkpointing(recompute);
    torch::manual_seed(0);
    const torch::Tensor batch = torch::randint(0, 257, {2, 25}, torch::kInt64);
    const TokenParallelOps ops;
    model->loss(batch, ops).backward();
    std::vector<torch::Tensor> grads;
    for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
    return grads;
  };
  const auto plain = gradients(false), recomputed = gradients(true);
  ASSERT_EQ(plain.size(), recomputed.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_TRUE(torch::allclose(recomputed[i], plain[i], 1e-5, 1e-7)) << "parameter " << i;
  }
}

TEST(ActivationCheckpointing, EvaluationDoesNotRecompute) {
  LocalContext context;
  const Logger quiet(1);
  Trainer plain(small_config("none"), context, quiet), recomputed(small_config("layer"), context,
                                                                  quiet);
  EXPECT_EQ(plain.evaluate(), recomputed.evaluate());
}

TEST(Precision, Bf16TracksFp32) {
  const auto fp32 = losses(small_config("none", "fp32"));
  const auto bf16 = losses(small_config("none", "bf16"));
  for (size_t s = 0; s < fp32.size(); ++s) {
    EXPECT_NEAR(bf16[s], fp32[s], 2e-2 * fp32[s]) << "step " << s + 1;
    EXPECT_NE(bf16[s], fp32[s]) << "step " << s + 1 << ": bf16 did not change the arithmetic";
  }
}

}  // namespace
}  // namespace tf
