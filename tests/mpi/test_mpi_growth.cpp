// Progressive scaling under parallelism: `preserve` keeps the validation loss; growth at every
// layout (tp, dp, ZeRO-1) equals growth in one process, validation included; a checkpoint written
// after growth at tp = 2 loads at tp = 1 and at tp = 2 x dp = world / 2 with the same parameters;
// ZeRO-1 state survives a checkpoint. Every rank computes the single-process reference itself
// (it is deterministic).
//
// Tolerances as in test_parity.cpp: kLossRtol for losses, kParamAtol for parameters trained at
// different layouts (reduction order only); parameters loaded from one checkpoint are compared
// exactly.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "core/checkpoint/adamw_state.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"
#include "parallel/local_communicator.h"
#include "parallel/mesh_context.h"
#include "parallel/world_sync.h"
#include "tests/mpi/mpi_env.h"
#include "tests/mpi/parity_run.h"

namespace tf::parallel::testing {
namespace {

constexpr double kLossRtol = 1e-6;
constexpr double kParamAtol = 2e-5;

void expect_same_parameters(const RunResult& actual, const RunResult& expected,
                            const std::string& what, double atol) {
  ASSERT_EQ(actual.names, expected.names) << what << ": rank " << world().rank();
  for (size_t i = 0; i < expected.params.size(); ++i) {
    expect_close(actual.params[i], expected.params[i], what + " " + expected.names[i], atol);
  }
}

TEST(Growth, PreserveKeepsTheValidationLossUnderTokenAndPipelineParallelism) {
  std::vector<std::pair<int64_t, int64_t>> layouts{{world().size(), 1}};  // (tp, pp)
  if (world().size() >= 2) layouts.emplace_back(1, 2);
  for (const auto& [tp, pp] : layouts) {
    const Config config = chain_config(tp, "preserve", "", false, pp);
    MeshContext context(world(), config);
    Trainer trainer(config, context, quiet());
    train(trainer, kChainStageSteps);
    const double before = trainer.evaluate();
    ASSERT_TRUE(trainer.start_next_stage());
    const double after = trainer.evaluate();
    if (world().rank() == 0) {
      std::printf("preserve at tp %lld pp %lld: validation loss %.9f before growth, %.9f after\n",
                  (long long)tp, (long long)pp, before, after);
    }
    EXPECT_NEAR(after, before, kLossRtol * before)
        << "tp " << tp << " pp " << pp << ", rank " << world().rank();
  }
}

TEST(Growth, TokenParallelGrowthEqualsSingleProcessGrowth) {
  LocalContext local;
  LocalCommunicator alone;
  const Config single = chain_config(1, "normal");
  Trainer reference(single, local, quiet());
  ASSERT_TRUE(grow_after_first_stage(reference));
  const RunResult expected = parameters_of(reference, alone);
  const double expected_validation = reference.evaluate();
  std::vector<double> expected_losses;
  train(reference, 3, &expected_losses);

  // Every layout the world size allows, ZeRO-1 on and off (the stage carries the moments).
  for (int64_t tp = 1; tp <= world().size(); tp *= 2) {
    for (const bool zero1 : {false, true}) {
      const std::string what = "growth at tp " + std::to_string(tp) + " dp " +
                               std::to_string(world().size() / tp) + (zero1 ? " zero1" : "");
      SCOPED_TRACE(what);
      const Config config = chain_config(tp, "normal", "", zero1);
      MeshContext context(world(), config);
      Trainer trainer(config, context, quiet());
      ASSERT_TRUE(grow_after_first_stage(trainer));
      expect_same_parameters(parameters_of(trainer, context.tp_group()), expected, what,
                             kParamAtol);
      // Validation covers the same samples in every layout.
      EXPECT_NEAR(trainer.evaluate(), expected_validation, kLossRtol * expected_validation)
          << what << ": validation after growth, rank " << world().rank();
      std::vector<double> losses;
      train(trainer, 3, &losses);
      for (size_t s = 0; s < losses.size(); ++s) {
        EXPECT_NEAR(losses[s], expected_losses[s], kLossRtol * expected_losses[s])
            << what << ": rank " << world().rank() << ", step " << s + 1 << " after growth";
      }
    }
  }
}

// The old tokens' rows of `result` (full tensors): the first 15 of Q, K, V, 9 of the output and 33
// of the FFN Pattention (chain_config's first stage); nothing for the other parameters.
std::vector<torch::Tensor> old_token_rows(const RunResult& result) {
  std::vector<torch::Tensor> rows;
  for (size_t i = 0; i < result.names.size(); ++i) {
    const std::string& name = result.names[i];
    if (name.find("_tokens") == std::string::npos) continue;
    const int64_t old = name.find("proj.") != std::string::npos  ? 9
                        : name.find("mlp.") != std::string::npos ? 33
                                                                 : 15;
    rows.push_back(result.params[i].narrow(0, 0, old));
  }
  return rows;
}

TEST(Growth, FrozenOldTokensStayBitIdenticalAtEveryLayout) {
  // The second stage holds its old tokens fixed throughout (optimizer carry, growth normal).
  const auto frozen_chain = [](int64_t tp, bool zero1) {
    Config config = chain_config(tp, "normal", "", zero1);
    config.stages[1].freeze_old_steps = kChainStageSteps;
    return config;
  };
  LocalContext local;
  LocalCommunicator alone;
  Trainer reference(frozen_chain(1, false), local, quiet());
  ASSERT_TRUE(grow_after_first_stage(reference));
  train(reference, kChainStageSteps);
  const RunResult expected = parameters_of(reference, alone);

  for (int64_t tp = 1; tp <= world().size(); tp *= 2) {
    for (const bool zero1 : {false, true}) {
      const std::string what = "frozen stage at tp " + std::to_string(tp) + " dp " +
                               std::to_string(world().size() / tp) + (zero1 ? " zero1" : "");
      SCOPED_TRACE(what);
      const Config config = frozen_chain(tp, zero1);
      MeshContext context(world(), config);
      Trainer trainer(config, context, quiet());
      ASSERT_TRUE(grow_after_first_stage(trainer));
      const RunResult at_growth = parameters_of(trainer, context.tp_group());
      std::vector<double> losses;
      train(trainer, kChainStageSteps, &losses);
      const RunResult after = parameters_of(trainer, context.tp_group());
      const auto was = old_token_rows(at_growth), now = old_token_rows(after);
      ASSERT_EQ(was.size(), 20u);  // 2 layers x 5 Pattentions x (K, V)
      for (size_t i = 0; i < was.size(); ++i) {
        EXPECT_TRUE(torch::equal(was[i], now[i]))
            << what << ": old rows of token matrix " << i << " changed, rank " << world().rank();
      }
      // The new rows trained as in one process.
      expect_same_parameters(after, expected, what, kParamAtol);
    }
  }
}

TEST(Growth, CheckpointAfterGrowthAtTp2LoadsInOtherLayouts) {
  if (world().size() < 2) GTEST_SKIP() << "needs 2 ranks to write at tp 2";
  const SharedTempDir dir;
  ASSERT_FALSE(dir.path().empty()) << "cannot create a temporary directory";

  // Ranks 0 and 1 train at tp 2 through growth and save; the others wait.
  const auto writers = world().split({world().rank() < 2 ? 0 : 1, world().rank()});
  RunResult written;
  if (world().rank() < 2) {
    const Config config = chain_config(2, "normal", dir.path());
    MeshContext context(*writers, config);
    WorldCheckpointSync sync(*writers);
    Trainer trainer(config, context, quiet(), saving_through(sync));
    EXPECT_TRUE(grow_after_first_stage(trainer));  // no early return: the other ranks wait below
    train(trainer, 2);
    trainer.save_checkpoint();
    written = parameters_of(trainer, context.tp_group());
  }
  world().barrier();

  // The single-process run the checkpointed one stands for, one step further.
  LocalContext local;
  LocalCommunicator alone;
  Trainer reference(chain_config(1, "normal"), local, quiet());
  ASSERT_TRUE(grow_after_first_stage(reference));
  train(reference, 2);
  const double expected_loss = reference.train_step().loss;

  // tp 1: every rank loads the whole model by itself.
  Trainer whole(chain_config(1, "normal", dir.path()), local, quiet());
  ASSERT_TRUE(whole.resume_from_latest());
  EXPECT_EQ(whole.step(), 2 * kChainStageSteps - 1);
  EXPECT_EQ(whole.stage_index(), 1u);
  const RunResult loaded = parameters_of(whole, alone);
  if (world().rank() < 2) expect_same_parameters(loaded, written, "loaded at tp 1", 0);
  const double whole_loss = whole.train_step().loss;
  EXPECT_NEAR(whole_loss, expected_loss, kLossRtol * expected_loss) << "tp 1 after loading";

  // tp 2 x dp world/2 over every rank.
  const Config config = chain_config(2, "normal", dir.path());
  MeshContext context(world(), config);
  Trainer sharded(config, context, quiet());
  ASSERT_TRUE(sharded.resume_from_latest());
  expect_same_parameters(parameters_of(sharded, context.tp_group()), loaded,
                         "loaded at tp 2 x dp " + std::to_string(world().size() / 2), 0);
  const double sharded_loss = sharded.train_step().loss;
  if (world().rank() == 0) {
    std::printf(
        "after loading the tp-2 checkpoint: step loss %.9f at tp 1, %.9f at tp 2 x dp %d; "
        "single process %.9f\n",
        whole_loss, sharded_loss, world().size() / 2, expected_loss);
  }
  EXPECT_NEAR(sharded_loss, expected_loss, kLossRtol * expected_loss)
      << "tp 2 x dp " << world().size() / 2 << " after loading, rank " << world().rank();
}

// ZeRO-1 state in checkpoints: saved after growth with carried moments by dp = world ranks, it
// restores into one process without ZeRO-1 and into ZeRO-1 again; the next two steps (the second
// shows the moments' effect on the update) match the single-process run.
TEST(Growth, Zero1StateSurvivesACheckpoint) {
  if (world().size() < 2) GTEST_SKIP() << "needs 2 ranks to shard the optimizer state";
  const SharedTempDir dir;
  ASSERT_FALSE(dir.path().empty()) << "cannot create a temporary directory";
  const auto run_to_save = [&](Trainer& trainer) {
    EXPECT_TRUE(grow_after_first_stage(trainer));
    train(trainer, 2);
  };
  {
    const Config config = chain_config(1, "normal", dir.path(), /*zero1=*/true);
    MeshContext context(world(), config);
    WorldCheckpointSync sync(world());
    Trainer trainer(config, context, quiet(), saving_through(sync));
    run_to_save(trainer);
    trainer.save_checkpoint();
  }
  LocalContext local;
  Trainer reference(chain_config(1, "normal"), local, quiet());
  run_to_save(reference);
  const torch::Tensor reference_embedding = reference.model()->embedding;
  const AdamWMoments expected_moments =
      *get_adamw_state(reference.optimizer(), reference_embedding);
  const AdamWMoments expected_copy{expected_moments.exp_avg.clone(),
                                   expected_moments.exp_avg_sq.clone(), expected_moments.step};
  std::vector<double> expected_losses;
  train(reference, 2, &expected_losses);

  Trainer whole(chain_config(1, "normal", dir.path()), local, quiet());
  ASSERT_TRUE(whole.resume_from_latest());
  const std::optional<AdamWMoments> moments =
      get_adamw_state(whole.optimizer(), whole.model()->embedding);
  ASSERT_TRUE(moments.has_value()) << "no optimizer state restored";
  EXPECT_EQ(moments->step, expected_copy.step);
  // Moments of runs whose gradients differ only in reduction order.
  expect_close(moments->exp_avg, expected_copy.exp_avg, "exp_avg", 1e-7, 1e-3);
  expect_close(moments->exp_avg_sq, expected_copy.exp_avg_sq, "exp_avg_sq", 1e-10, 1e-3);
  std::vector<double> whole_losses;
  train(whole, 2, &whole_losses);

  const Config config = chain_config(1, "normal", dir.path(), /*zero1=*/true);
  MeshContext context(world(), config);
  Trainer sharded(config, context, quiet());
  ASSERT_TRUE(sharded.resume_from_latest());
  std::vector<double> sharded_losses;
  train(sharded, 2, &sharded_losses);
  for (size_t s = 0; s < expected_losses.size(); ++s) {
    EXPECT_NEAR(whole_losses[s], expected_losses[s], kLossRtol * expected_losses[s])
        << "one process after loading, step " << s + 1;
    EXPECT_NEAR(sharded_losses[s], expected_losses[s], kLossRtol * expected_losses[s])
        << "ZeRO-1 after loading, step " << s + 1 << ", rank " << world().rank();
  }
  if (world().rank() == 0) {
    std::printf(
        "ZeRO-1 checkpoint: second step after loading %.9f (1 process), %.9f (ZeRO-1 "
        "dp %d); single process %.9f\n",
        whole_losses[1], sharded_losses[1], world().size(), expected_losses[1]);
  }
}

}  // namespace
}  // namespace tf::parallel::testing
