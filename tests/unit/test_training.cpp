// End to end in one process: the trainer lowers the validation loss on the synthetic corpus,
// deterministically, and the schedule has the documented shape.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/config.h"
#include "core/schedule.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

Config tiny_config(int64_t steps) {
  return parse_config(
      "model: {hidden_size: 32, num_layers: 2, num_heads: 2, qkv_tokens: 32, proj_tokens: 32,\n"
      "        ffn_tokens: 128, seq_len: 32, vocab_size: 257}\n"
      "train: {steps: " +
          std::to_string(steps) +
          ", global_batch: 16, micro_batch: 8, lr: 0.005,\n"
          "        min_lr: 0.0005, warmup_steps: 10, eval_batches: 4, seed: 3}\n"
          "data: {synthetic: {documents: 400, doc_len: 256}}\n",
      "inline.yaml");
}

TEST(Training, LowersValidationLossOnSyntheticCorpus) {
  const Config config = tiny_config(300);
  LocalContext context;
  const Logger log(0);
  Trainer trainer(config, context, log);
  const double initial = trainer.evaluate();
  EXPECT_NEAR(initial, std::log(384.0), 0.3);  // about uniform over the padded vocabulary
  while (trainer.step() < config.train.steps) trainer.train_step();
  const double final_loss = trainer.evaluate();
  EXPECT_LT(final_loss, initial - 2.5) << "initial " << initial << ", final " << final_loss;
}

TEST(Training, IsDeterministic) {
  const Config config = tiny_config(3);
  LocalContext context;
  const Logger log(0);
  Trainer a(config, context, log), b(config, context, log);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.train_step().loss, b.train_step().loss) << "step " << i;
}

TEST(Training, SkipsTheUpdateWhenTheGradientIsNotFinite) {
  const Config config = tiny_config(3);
  LocalContext context;
  const Logger log(1);
  Trainer trainer(config, context, log);
  bool poison = true;
  trainer.model()->embedding.register_hook([&](const torch::Tensor& grad) {
    return poison ? grad * std::numeric_limits<float>::quiet_NaN() : grad;
  });
  std::vector<torch::Tensor> before;
  for (const auto& p : trainer.model()->parameters()) before.push_back(p.detach().clone());
  const torch::Tensor embedding = trainer.model()->embedding.detach().clone();
  const StepStats skipped = trainer.train_step();
  EXPECT_TRUE(skipped.skipped);
  EXPECT_TRUE(std::isnan(skipped.grad_norm));
  EXPECT_EQ(skipped.step, 1);
  const auto params = trainer.model()->parameters();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], before[i])) << i;
  poison = false;
  const StepStats next = trainer.train_step();
  EXPECT_FALSE(next.skipped);
  EXPECT_FALSE(torch::equal(trainer.model()->embedding, embedding));
}

TEST(Schedule, WarmupThenCosineToMinimum) {
  const LrSchedule s{1.0, 0.1, 10, 110};
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(9), 1.0);
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_NEAR(s.at(60), 0.55, 1e-12);  // half way down the cosine
  EXPECT_DOUBLE_EQ(s.at(110), 0.1);
  EXPECT_DOUBLE_EQ(s.at(500), 0.1);
}

}  // namespace
}  // namespace tf
