// Pipeline parallelism: pp = 2, pp = 2 x tp = 2, pp = 2 x dp = 2 (ZeRO-1 on and off) and pp = 4
// match the single-process run of the same config and seed, step by step and parameter by
// parameter, with 4 to 8 micro batches per step; `normal` growth at pp = 2 equals single-process
// growth (`preserve` at pp = 2: test_mpi_growth.cpp); checkpoints written at pp = 2 load at pp = 1
// and at pp = 2 x tp = 2 (or x dp), and one written at pp = 1 loads at pp = 2, bit-identically; a
// non-finite gradient on one stage skips the step on every rank; a save whose tied embedding
// copies differ is refused on every rank. Every rank computes the single-process reference
// itself.
//
// Tolerances as in test_parity.cpp (reduction order only).
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "core/checkpoint/directory.h"
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
// Parameters after 5 AdamW steps at lr up to 3e-3 (test_parity.cpp says where differences come
// from). At pp 2 x tp 2 both the stage split and the token split change the summation order; with
// oneMKL's kernels (LibTorch 2.11) one element of 480 in block0.value.key_tokens ends 2.3e-5 from
// the single-process value while the losses agree to 2.2e-8, hence 5e-5 here (test_parity.cpp
// keeps 2e-5).
constexpr double kParamAtol = 5e-5;
constexpr int64_t kSteps = 5;

struct PipelineLayout {
  int64_t tp = 1, pp = 2;
  bool zero1 = false;
  std::string schedule = "1f1b";
  bool recompute = false;
  std::string text() const {
    return "pp " + std::to_string(pp) + " tp " + std::to_string(tp) + " dp " +
           std::to_string(world().size() / (tp * pp)) + (zero1 ? " zero1" : "") + " " + schedule +
           (recompute ? " recompute" : "");
  }
};

// The parity model with 4 layers and micro batches of 1: 8 micro batches per step at dp 1, 4 at
// dp 2.
Config pipeline_config(const PipelineLayout& l) {
  Config c = parity_config(l.tp, l.zero1);
  c.model.num_layers = 4;
  c.train.micro_batch = 1;
  c.parallel.pp = l.pp;
  c.parallel.pp_schedule = *tf::parse_choice<tf::PipelineSchedule>(l.schedule);
  if (l.recompute) c.train.activation_checkpointing = tf::ActivationCheckpointing::kLayer;
  return c;
}

std::vector<PipelineLayout> layouts_for(int64_t world) {
  if (world == 2)
    return {{1, 2}, {1, 2, true}, {1, 2, false, "gpipe"}, {1, 2, false, "1f1b", true}};
  if (world == 4) return {{2, 2}, {1, 2}, {1, 2, true}, {1, 4}};
  return {};
}

TEST(Pipeline, MatchesTheSingleProcessRun) {
  const std::vector<PipelineLayout> layouts = layouts_for(world().size());
  if (layouts.empty()) GTEST_SKIP() << "pipelines run at world sizes 2 and 4";
  LocalContext local;
  LocalCommunicator alone;
  const RunResult reference = train_steps(pipeline_config({1, 1}), local, alone, kSteps);
  for (const PipelineLayout& layout : layouts) {
    const std::string what = layout.text();
    SCOPED_TRACE(what);
    const Config config = pipeline_config(layout);
    MeshContext context(world(), config, {/*bucket_bytes=*/16 << 10});
    const RunResult staged = train_steps(config, context, context.tp_group(), kSteps);
    ASSERT_EQ(staged.losses.size(), reference.losses.size());
    double loss_gap = 0;
    for (int64_t s = 0; s < kSteps; ++s) {
      loss_gap = std::max(loss_gap, std::abs(staged.losses[s] / reference.losses[s] - 1));
      EXPECT_NEAR(staged.losses[s], reference.losses[s], kLossRtol * reference.losses[s])
          << what << ": rank " << world().rank() << " step " << s + 1;
    }
    expect_matching_parameters(staged, reference, what, kParamAtol);
    // The stages hold every parameter between them, the embedding twice.
    const bool copy = context.pp_rank() + 1 == context.pp_size() && context.pp_size() > 1;
    torch::Tensor held = torch::tensor({int64_t(staged.names.size()) - (copy ? 1 : 0)});
    context.pp_group().all_reduce(held);
    EXPECT_EQ(held.item<int64_t>(), int64_t(reference.names.size())) << what;
    if (world().rank() == 0) {
      std::printf("pipeline %s: max relative loss gap %.2e over %d steps\n", what.c_str(), loss_gap,
                  int(kSteps));
    }
  }
}

TEST(Pipeline, GrowthAtTwoStagesEqualsSingleProcessGrowth) {
  if (world().size() < 2) GTEST_SKIP() << "needs 2 ranks for 2 stages";
  // Parameters, validation and the next losses as in one process (`preserve` at pp 2:
  // test_mpi_growth.cpp).
  LocalContext local;
  LocalCommunicator alone;
  Trainer reference(chain_config(1, "normal"), local, quiet());
  ASSERT_TRUE(grow_after_first_stage(reference));
  const RunResult expected = parameters_of(reference, alone);
  const double expected_validation = reference.evaluate();
  std::vector<double> expected_losses;
  train(reference, 3, &expected_losses);

  const Config config = chain_config(1, "normal", "", false, 2);
  MeshContext context(world(), config);
  Trainer trainer(config, context, quiet());
  ASSERT_TRUE(grow_after_first_stage(trainer));
  expect_matching_parameters(parameters_of(trainer, context.tp_group()), expected, "growth at pp 2",
                             kParamAtol);
  EXPECT_NEAR(trainer.evaluate(), expected_validation, kLossRtol * expected_validation);
  std::vector<double> losses;
  train(trainer, 3, &losses);
  for (size_t s = 0; s < losses.size(); ++s) {
    EXPECT_NEAR(losses[s], expected_losses[s], kLossRtol * expected_losses[s])
        << "rank " << world().rank() << ", step " << s + 1 << " after growth";
  }
}

TEST(Pipeline, CheckpointsLoadAcrossLayouts) {
  if (world().size() < 2) GTEST_SKIP() << "needs 2 ranks to write at pp 2";
  const SharedTempDir staged_dir, whole_dir;
  ASSERT_FALSE(staged_dir.path().empty() || whole_dir.path().empty());
  const bool writer = world().rank() < 2;
  const auto writers = world().split({writer ? 0 : 1, world().rank()});

  // Ranks 0 and 1 train at pp 2 through growth and save; rank 0 alone trains at pp 1 and saves.
  RunResult written;
  if (writer) {
    const Config config = chain_config(1, "normal", staged_dir.path(), false, 2);
    MeshContext context(*writers, config);
    WorldCheckpointSync sync(*writers);
    Trainer trainer(config, context, quiet(), saving_through(sync));
    EXPECT_TRUE(grow_after_first_stage(trainer));
    train(trainer, 1);
    trainer.save_checkpoint();
    written = parameters_of(trainer, context.tp_group());
  }
  LocalContext local;
  LocalCommunicator alone;
  if (world().rank() == 0) {
    Trainer trainer(chain_config(1, "normal", whole_dir.path()), local, quiet());
    train(trainer, 2);
    trainer.save_checkpoint();
  }
  world().barrier();

  // pp 2 -> pp 1 on every rank, bit-identical; then one step as the single-process run.
  Trainer reference(chain_config(1, "normal"), local, quiet());
  ASSERT_TRUE(grow_after_first_stage(reference));
  train(reference, 1);
  const double expected_loss = reference.train_step().loss;
  Trainer whole(chain_config(1, "normal", staged_dir.path()), local, quiet());
  ASSERT_TRUE(whole.resume_from_latest());
  const RunResult loaded = parameters_of(whole, alone);
  if (writer) expect_matching_parameters(written, loaded, "pp 2 written, loaded at pp 1", 0);
  EXPECT_NEAR(whole.train_step().loss, expected_loss, kLossRtol * expected_loss);

  // pp 2 -> pp 2 x tp 2 (4 ranks) or pp 2 (2 ranks) over the world, bit-identical.
  const int64_t tp = world().size() / 2;
  {
    const Config config = chain_config(tp, "normal", staged_dir.path(), false, 2);
    MeshContext context(world(), config);
    Trainer trainer(config, context, quiet());
    ASSERT_TRUE(trainer.resume_from_latest());
    expect_matching_parameters(parameters_of(trainer, context.tp_group()), loaded,
                               "pp 2 written, loaded at pp 2 x tp " + std::to_string(tp), 0);
    const double loss = trainer.train_step().loss;
    if (world().rank() == 0) {
      std::printf("pp-2 checkpoint: next step loss %.9f at pp 2 x tp %lld; single process %.9f\n",
                  loss, (long long)tp, expected_loss);
    }
    EXPECT_NEAR(loss, expected_loss, kLossRtol * expected_loss) << "rank " << world().rank();
  }

  // pp 1 -> pp 2 over the world, bit-identical.
  Trainer single(chain_config(1, "normal", whole_dir.path()), local, quiet());
  ASSERT_TRUE(single.resume_from_latest());
  const RunResult single_loaded = parameters_of(single, alone);
  const Config config = chain_config(1, "normal", whole_dir.path(), false, 2);
  MeshContext context(world(), config);
  Trainer trainer(config, context, quiet());
  ASSERT_TRUE(trainer.resume_from_latest());
  EXPECT_EQ(trainer.step(), 2);
  expect_matching_parameters(parameters_of(trainer, context.tp_group()), single_loaded,
                             "pp 1 written, loaded at pp 2", 0);
}

TEST(Pipeline, NonFiniteGradientOnOneStageSkipsTheStepEverywhere) {
  if (world().size() < 2) GTEST_SKIP() << "needs 2 stages";
  const Config config = chain_config(1, "normal", "", false, 2);
  MeshContext context(world(), config);
  Trainer trainer(config, context, quiet());
  train(trainer, 1);
  if (context.pp_rank() == 1) {
    trainer.model()->final_norm_weight.register_hook(
        [](const torch::Tensor& grad) { return grad * std::numeric_limits<double>::infinity(); });
  }
  const RunResult before = parameters_of(trainer, context.tp_group());
  const StepStats stats = trainer.train_step();
  EXPECT_TRUE(stats.skipped) << "rank " << world().rank() << ", gradient norm " << stats.grad_norm;
  expect_matching_parameters(parameters_of(trainer, context.tp_group()), before,
                             "after the skipped step", 0);
}

TEST(Pipeline, SaveRefusesTiedEmbeddingCopiesThatDiffer) {
  if (world().size() < 2) GTEST_SKIP() << "needs 2 stages";
  const SharedTempDir dir;
  const Config config = chain_config(1, "normal", dir.path(), false, 2);
  MeshContext context(world(), config);
  WorldCheckpointSync sync(world());
  Trainer trainer(config, context, quiet(), saving_through(sync));
  train(trainer, 1);
  if (context.pp_rank() == 1 && context.dp_rank() == 0) {
    torch::NoGradGuard no_grad;
    trainer.model()->embedding[3][5] += 1e-3;
  }
  try {
    trainer.save_checkpoint();
    ADD_FAILURE() << "rank " << world().rank() << " saved diverged tied embedding copies";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tied embedding's copies"), std::string::npos) << e.what();
  }
  world().barrier();
  EXPECT_EQ(find_latest_checkpoint(dir.path(), [](const std::string&) {}), "");
}

}  // namespace
}  // namespace tf::parallel::testing
