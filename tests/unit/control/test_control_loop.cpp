// The ControlLoop with a real (tiny) Trainer: commands submitted from another thread take effect
// at a step boundary, with the codes the API promises.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "core/checkpoint/file_io.h"
#include "core/config.h"
#include "core/error.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"
#include "launcher/control/command_queue.h"
#include "launcher/control/control_loop.h"
#include "launcher/control/status_board.h"
#include "tests/unit/checkpoint_test_util.h"

namespace tf::control {
namespace {

using namespace std::chrono_literals;

Config tiny_config(const std::string& stages = "") {
  return parse_config(
      "model: {hidden_size: 32, num_layers: 1, num_heads: 2, qkv_tokens: 32, proj_tokens: 32,\n"
      "        ffn_tokens: 64, seq_len: 16, vocab_size: 257}\n"
      "train: {steps: 100000, global_batch: 2, micro_batch: 2, eval_interval: 0, eval_batches: 1}\n"
      "data: {synthetic: {documents: 50, doc_len: 64}}\n" +
          stages,
      "inline.yaml");
}

v1::Command command_of(void (*set)(v1::Command&)) {
  v1::Command command;
  set(command);
  return command;
}

const v1::Command kPause = command_of([](v1::Command& c) { c.mutable_pause(); });
const v1::Command kResume = command_of([](v1::Command& c) { c.mutable_resume(); });
const v1::Command kStop = command_of([](v1::Command& c) { c.mutable_stop(); });
const v1::Command kCheckpoint = command_of([](v1::Command& c) { c.mutable_save_checkpoint(); });

v1::Command scale_up(int64_t qkv, int64_t proj, int64_t ffn) {
  v1::Command command;
  v1::TokenCounts* tokens = command.mutable_scale_up()->mutable_tokens();
  tokens->set_qkv_tokens(qkv);
  tokens->set_proj_tokens(proj);
  tokens->set_ffn_tokens(ffn);
  return command;
}

TrainerCollaborators observed_by(StepObserver& observer) {
  TrainerCollaborators with;
  with.observer = &observer;
  return with;
}

// A run of the tiny trainer on its own thread, as on world rank 0.
class TrainingThread {
 public:
  explicit TrainingThread(const Config& config, ControlActions actions = {})
      : config_(config),
        board_(v1::Status{}),
        loop_(config_, context_, log_, std::move(actions), &queue_, &board_, nullptr),
        trainer_(config_, context_, log_, observed_by(loop_)) {
    thread_ = std::thread([this] {
      trainer_.run();
      loop_.finish(trainer_.step(), "finished");
    });
  }
  ~TrainingThread() {
    if (thread_.joinable()) {
      queue_.submit(kStop, "Stop");
      thread_.join();
    }
  }
  Outcome submit(const v1::Command& command) { return queue_.submit(command, "test"); }
  int64_t board_step() const { return board_.status().step(); }
  v1::Status status() const { return board_.status(); }
  v1::RunState state() const { return board_.status().state(); }
  void join() { thread_.join(); }

 private:
  Config config_;
  LocalContext context_;
  Logger log_{1};  // quiet: rank 1 prints only every_rank() lines
  CommandQueue queue_;
  StatusBoard board_;
  ControlLoop loop_;
  Trainer trainer_;  // after loop_, which it is told of at construction
  std::thread thread_;
};

TEST(ControlLoop, PauseHoldsTrainingUntilResume) {
  TrainingThread run(tiny_config());
  EXPECT_EQ(run.submit(kResume).code, grpc::StatusCode::FAILED_PRECONDITION);
  const Outcome paused = run.submit(kPause);
  ASSERT_EQ(paused.code, grpc::StatusCode::OK) << paused.message;
  EXPECT_EQ(run.state(), v1::RUN_STATE_PAUSED);
  std::this_thread::sleep_for(100ms);  // the last step's stats reach the board
  const int64_t held = run.board_step();
  EXPECT_EQ(held, paused.step);
  std::this_thread::sleep_for(3 * ControlLoop::kPausePoll);
  EXPECT_EQ(run.board_step(), held) << "trained while paused";
  EXPECT_EQ(run.submit(kPause).code, grpc::StatusCode::FAILED_PRECONDITION);
  const Outcome resumed = run.submit(kResume);
  ASSERT_EQ(resumed.code, grpc::StatusCode::OK) << resumed.message;
  EXPECT_EQ(resumed.step, held);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (run.board_step() == held && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(run.board_step(), held) << "did not train after resume";
}

TEST(ControlLoop, StopEndsTheRunAndLaterRequestsAreUnavailable) {
  TrainingThread run(tiny_config());
  run.submit(kPause);
  const Outcome stopped = run.submit(kStop);
  ASSERT_EQ(stopped.code, grpc::StatusCode::OK) << stopped.message;
  EXPECT_EQ(stopped.message, "stopping at step " + std::to_string(stopped.step) +
                                 "; no checkpoint (checkpoint.dir is not set)");
  run.join();
  EXPECT_EQ(run.state(), v1::RUN_STATE_FINISHED);
  EXPECT_EQ(run.board_step(), stopped.step);
  EXPECT_EQ(run.submit(kPause).code, grpc::StatusCode::UNAVAILABLE);
}

TEST(ControlLoop, ScaleUpRefusalsCarryTheTrainersReason) {
  TrainingThread run(tiny_config());
  run.submit(kPause);
  EXPECT_EQ(run.submit(scale_up(16, 32, 64)).code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(run.submit(scale_up(32, 32, 64)).code, grpc::StatusCode::INVALID_ARGUMENT);
  v1::Command next_stage;
  next_stage.mutable_scale_up();
  EXPECT_EQ(run.submit(next_stage).code, grpc::StatusCode::FAILED_PRECONDITION);
  const Outcome absurd = run.submit(scale_up(1000000000000, 32, 64));
  EXPECT_EQ(absurd.code, grpc::StatusCode::RESOURCE_EXHAUSTED) << absurd.message;
  EXPECT_EQ(run.status().tokens().qkv_tokens(), 32);
  const Outcome grown = run.submit(scale_up(64, 32, 64));
  ASSERT_EQ(grown.code, grpc::StatusCode::OK) << grown.message;
  EXPECT_EQ(run.status().tokens().qkv_tokens(), 64);
  const Outcome no_dir = run.submit(kCheckpoint);
  EXPECT_EQ(no_dir.code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(no_dir.message, "no checkpoint: checkpoint.dir is not set in the run's config");
}

TEST(ControlLoop, StatusFollowsTheModelThroughAStageStartedByScaleUp) {
  int saves = 0;
  ControlActions actions;
  actions.save_checkpoint = [&](Trainer& trainer) {
    ++saves;
    if (saves == 2) throw Error("disk full");
    return "ckpt/step_" + std::to_string(trainer.step());
  };
  TrainingThread run(tiny_config("stages:\n  - {name: small, steps: 1000}\n"
                                 "  - {name: big, qkv_tokens: 48, ffn_tokens: 96, steps: 500}\n"),
                     std::move(actions));
  const Outcome paused = run.submit(kPause);
  v1::Status before = run.status();
  EXPECT_EQ(before.stage(), "small");
  EXPECT_EQ(before.stage_index(), 0);
  EXPECT_EQ(before.total_steps(), 1500);
  v1::Command next_stage;
  next_stage.mutable_scale_up();
  const Outcome grown = run.submit(next_stage);
  ASSERT_EQ(grown.code, grpc::StatusCode::OK) << grown.message;
  EXPECT_EQ(grown.message, "stage 'big' started (growth normal, optimizer carry)");
  const v1::Status after = run.status();
  EXPECT_EQ(after.stage(), "big");
  EXPECT_EQ(after.stage_index(), 1);
  EXPECT_EQ(after.tokens().qkv_tokens(), 48);
  EXPECT_EQ(after.tokens().proj_tokens(), 32);
  EXPECT_EQ(after.tokens().ffn_tokens(), 96);
  // The 1-layer, d 32 model: 384 x 32 embedding, 2 x 32 x (3 x 48 + 32 + 96) tokens, final norm.
  EXPECT_EQ(after.parameter_count(), 384 * 32 + 2 * 32 * (3 * 48 + 32 + 96) + 2 * 32);
  EXPECT_EQ(after.total_steps(), paused.step + 500) << "the big stage started early";
  const Outcome saved = run.submit(kCheckpoint);
  ASSERT_EQ(saved.code, grpc::StatusCode::OK);
  EXPECT_EQ(saved.message, "ckpt/step_" + std::to_string(saved.step));
  const Outcome failed = run.submit(kStop);  // its checkpoint fails: training goes on
  EXPECT_EQ(failed.code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(failed.message, "disk full");
  const Outcome stopped = run.submit(kStop);
  ASSERT_EQ(stopped.code, grpc::StatusCode::OK);
  EXPECT_EQ(saves, 3);
}

// The save action tf-launch installs (launcher/tf_launch.cpp): the trainer's own.
ControlActions trainer_saves() {
  ControlActions actions;
  actions.save_checkpoint = [](Trainer& trainer) { return trainer.save_checkpoint(); };
  return actions;
}

TEST(ControlLoop, StopSucceedsWhenEveryStepIsSaved) {
  testing::ScratchDir root;
  TrainingThread run(tiny_config("checkpoint: {dir: " + root.str() + ", interval: 1}\n"),
                     trainer_saves());
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (run.board_step() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  const Outcome stopped = run.submit(kStop);
  ASSERT_EQ(stopped.code, grpc::StatusCode::OK) << stopped.message;
  const std::string path = root / ("step_" + std::to_string(stopped.step));
  EXPECT_EQ(stopped.message,
            "stopping at step " + std::to_string(stopped.step) + "; checkpoint " + path);
  run.join();
  EXPECT_TRUE(std::filesystem::exists(path + "/COMPLETE"));
}

TEST(ControlLoop, PauseSaveSaveStopAnswersOnePath) {
  testing::ScratchDir root;
  TrainingThread run(tiny_config("checkpoint: {dir: " + root.str() + "}\n"), trainer_saves());
  ASSERT_EQ(run.submit(kPause).code, grpc::StatusCode::OK);
  const Outcome first = run.submit(kCheckpoint);
  ASSERT_EQ(first.code, grpc::StatusCode::OK) << first.message;
  EXPECT_EQ(first.message, root / ("step_" + std::to_string(first.step)));
  const Outcome second = run.submit(kCheckpoint);
  ASSERT_EQ(second.code, grpc::StatusCode::OK) << second.message;
  EXPECT_EQ(second.step, first.step);
  EXPECT_EQ(second.message, first.message);
  const Outcome stopped = run.submit(kStop);
  ASSERT_EQ(stopped.code, grpc::StatusCode::OK) << stopped.message;
  EXPECT_EQ(stopped.message,
            "stopping at step " + std::to_string(first.step) + "; checkpoint " + first.message);
  run.join();
  EXPECT_EQ(run.state(), v1::RUN_STATE_FINISHED);
  EXPECT_EQ(list_directory(root.str()),
            std::vector<std::string>{"step_" + std::to_string(first.step)});
}

// What ranks other than 0 do: no queue, apply whatever the primary broadcasts.
class BroadcastingContext : public LocalContext {
 public:
  std::string broadcast_from_primary(const std::string& bytes) override {
    EXPECT_TRUE(bytes.empty()) << "a rank without a queue offered a command";
    ++calls;
    return calls == 3 ? kStop.SerializeAsString() : std::string();
  }
  int calls = 0;
};

TEST(ControlLoop, RanksWithoutQueueApplyTheBroadcastCommand) {
  const Config config = tiny_config();
  BroadcastingContext context;
  const Logger log(1);
  ControlLoop loop(config, context, log, {}, nullptr, nullptr, nullptr);
  Trainer trainer(config, context, log, observed_by(loop));
  trainer.run();
  EXPECT_EQ(context.calls, 3);
  EXPECT_EQ(trainer.step(), 2);  // boundaries before steps 1, 2 and 3; stopped at the third
}

}  // namespace
}  // namespace tf::control
