// The training loop: micro-batched forward/backward through this rank's pipeline rank, the
// optimizer step of the context's gradient-sync strategy (core/gradient_sync.h) at the warm-up +
// cosine schedule, periodic validation. Its policies are parts of their own: when to save
// (checkpoint_policy.h), the stages and every growth (scaling_controller.h), what to report
// (step_reporter.h). One Trainer per rank; every rank calls the same methods in the same order.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/checkpoint/reader.h"
#include "core/checkpoint/sync.h"
#include "core/checkpoint/writer.h"
#include "core/config.h"
#include "core/data/batch_source.h"
#include "core/device.h"
#include "core/error.h"
#include "core/log.h"
#include "core/memory_estimate.h"
#include "core/model.h"
#include "core/parallel_context.h"
#include "core/phase.h"
#include "core/pipeline.h"
#include "core/schedule.h"
#include "core/stages.h"
#include "core/trainer/checkpoint_policy.h"
#include "core/trainer/scaling_controller.h"
#include "core/trainer/step_reporter.h"

namespace tf {

class Trainer;
class InitialWeights;

// Hooks into Trainer::run(), called on the training thread of every rank. The control plane
// implements it; core/ knows nothing of what it does. The Trainer does not own it.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // Before every step; may block (pause) and may call Trainer::request_stop().
  virtual void on_step_boundary(Trainer& trainer) = 0;
  // At the Trainer's construction, a resume, growth in place and each stage start.
  virtual void on_model_change(const ModelState& state) = 0;
  virtual void on_step(const StepStats& stats) = 0;
  virtual void on_validation(int64_t step, double loss) = 0;
  // After every checkpoint save (periodic, at a stage or run end, on request) with its wall time;
  // `path` is empty when the save failed (the error is then thrown on).
  virtual void on_checkpoint(int64_t step, const std::string& path, double seconds) = 0;
};

// What a Trainer works with but does not own; each must outlive the Trainer. Unset: none.
struct TrainerCollaborators {
  // Hooks into run(); told the model_state() at construction.
  StepObserver* observer = nullptr;
  // A signal's flag (launcher/preemption.h), polled at every step boundary of run(); once it is
  // set on any rank, every rank agrees at that boundary (one small gather over the world), writes
  // a checkpoint (when checkpoint.dir is set) and run() returns kPreempted.
  std::function<bool()> preemption_flag;
  // The clock run() enters its phases on (steps, validation, saves), read by a watchdog.
  PhaseClock* clock = nullptr;
  // The ranks' agreement for checkpoint saves; unset: the single-process one.
  CheckpointSync* checkpoint_sync = nullptr;
};

class Trainer {
 public:
  Trainer(const Config& config, ParallelContext& context, const Logger& log,
          TrainerCollaborators with = {});
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // What run() ended with.
  enum class RunEnd {
    kFinished,      // every stage ran
    kLayoutChange,  // the next stage needs another parallel layout: relaunch to continue
    kPreempted,     // a rank's preemption flag was set: checkpoint written, relaunch to resume
  };
  // Resumes from the newest checkpoint under checkpoint.dir, logs the banner and opens the metrics
  // file: run()'s part before its first collective call, so that a launcher can agree on its
  // errors first (parallel/startup_agreement.h). run() calls it unless it was called.
  void start();
  // Runs the remaining steps of every stage with log lines, validation, stage transitions and a
  // final validation pass.
  RunEnd run();
  // One optimizer step over the next global batch.
  StepStats train_step();
  // Mean validation loss over the first train.eval_batches micro batches of the validation split,
  // shared out over the data-parallel ranks (the same value in every layout): a fixed set of
  // batches, so that passes before and after a growth compare.
  double evaluate();

  // Grows the model in place at this step boundary to `tokens` with `recipe` (a no-op for counts
  // already reached), rebuilds the optimizer (fresh, or carrying the old tokens' moments), starts
  // the recipe's freeze and re-warm, and logs the validation loss before and after (a growth that
  // must preserve the function and does not throws GrowthCheckFailed). Every rank must call it at
  // the same step. Failure-atomic: when allocating the grown model fails on any rank, all ranks
  // keep the old model and optimizer and throw ScaleUpRefused (kGrowthFailed).
  void grow_to(const TokenCounts& tokens, const GrowthRecipe& recipe) {
    scaling_.grow_to(tokens, recipe);
  }
  // Ends the current stage now and starts the next one (growth, optimizer, schedule restart).
  // Returns false, doing nothing, when the next stage needs another parallel layout than this
  // process runs, or when the current stage is the last. Throws as grow_to.
  bool start_next_stage() { return scaling_.start_next_stage(); }
  using GrowthChoice = tf::GrowthChoice;
  // A ScaleUp request, on every rank at the same step boundary. With no counts, or the next
  // stage's counts, it starts the next stage; with other counts it grows in place (`choice` says
  // how in both cases). Refuses (ScaleUpRefused, nothing changed) counts that
  // shrink or do not grow, a next stage that does not exist or needs another layout, a model
  // whose memory estimate does not fit some rank, and a growth whose allocation fails. Returns a
  // one-line description of what it did.
  std::string scale_up(const std::optional<TokenCounts>& tokens, const GrowthChoice& choice = {}) {
    return scaling_.scale_up(tokens, choice);
  }

  // The model as it is now, as announced to the observer.
  ModelState model_state() const { return scaling_.model_state(); }
  const Stage& stage() const { return scaling_.stage(); }
  const std::vector<Stage>& stages() const { return scaling_.stages(); }
  size_t stage_index() const { return scaling_.index(); }
  int64_t step() const { return step_; }
  int64_t samples_consumed() const { return samples_consumed_; }
  double flops_spent() const { return flops_spent_; }
  TokenFormer& model() { return model_; }
  torch::optim::AdamW& optimizer() { return *optimizer_; }
  const Config& config() const { return config_; }
  int64_t accumulation_steps() const { return accumulation_; }
  // run() finishes after the current step (with its final validation pass).
  void request_stop() { stop_requested_ = true; }

  // Checkpoints (defined in checkpoint_state.cpp). The state is this rank's part of
  // the parameters and AdamW moments plus the run scalars; restore() replaces all of them and
  // throws tf::Error naming the checkpoint and tensor when shapes disagree with the model.
  CheckpointState checkpoint_state();
  void restore(const CheckpointReader& checkpoint);
  // The checkpoint of the current step under checkpoint.dir, saved as step_<step()> unless this
  // step is on disk already (saved or restored by this trainer: then that checkpoint's path,
  // nothing written). Returns its path; collective over the checkpoint sync.
  std::string save_checkpoint();
  // Restores the newest complete checkpoint under checkpoint.dir; false when there is none.
  bool resume_from_latest();

 private:
  friend class ScalingController;  // grows the model and rebuilds the optimizer

  // A model of `tokens` for this rank's token shard and pipeline rank (parameters zero).
  TokenFormer make_model(const TokenCounts& tokens) const;
  // Moves the model to the device and sets its compute dtype and activation checkpointing.
  void place_model();
  void build_optimizer();
  // Hands the model and optimizer (again) to the context's gradient-sync strategy.
  void attach_gradient_sync();
  // The checkpoint name of the τ frozen for this rank's Pattention `local_pattention`: its global
  // index in model order.
  std::string tau_name(size_t local_pattention) const;

  // Micro batch i of the current optimizer step (or validation pass), on the device.
  using SampleSource = std::function<torch::Tensor(int64_t)>;
  // The forward and backward passes of the step's micro batches on this pipeline rank
  // (pipeline_step.cpp), exchanging activations and their gradients with the neighbouring pipeline
  // ranks; returns the sum of the micro batches' losses, each divided by their count (on the last
  // pipeline rank; zero on the others), in fp64 on the device.
  torch::Tensor forward_backward(const SampleSource& samples);
  // Forward passes of `count` micro batches; returns the sum of their losses (last pipeline rank;
  // zero on the others) in fp64 on the device.
  torch::Tensor forward_only(const SampleSource& samples, int64_t count);
  // One micro batch through this pipeline rank: `input` from the previous pipeline rank (unused on
  // the first), `samples` [batch, seq + 1] (used on the first and the last). Returns the output
  // for the next pipeline rank, or on the last the mean loss.
  torch::Tensor pp_forward(const torch::Tensor& input, const torch::Tensor& samples);
  // An empty tensor shaped like the activations between pipeline ranks.
  torch::Tensor pp_activation() const;

  // Writes step_<step()> under checkpoint.dir (CheckpointPolicy decides when).
  std::string write_checkpoint();
  // run()'s parts: whether the stage has run its steps; the stage transition at its end (false:
  // relaunch for another layout); the observer at the boundary; everything after a step
  // (observer, divergence, report, save, validation).
  bool stage_finished() const;
  bool advance_stage();
  void hold_at_boundary();
  void after_step(const StepStats& stats);
  // Whether any rank's preemption flag is set; collective over the world when a flag is installed.
  bool preempted();
  // Counts a run of skipped steps; at fault.max_skipped_steps in a row throws RunDiverged naming
  // the newest checkpoint saved before the run began.
  void check_skipped(const StepStats& stats);
  // Runs evaluate(), reports it with the FLOPs spent so far (after a growth: with the jump from
  // `before`) and returns it.
  double log_validation(ValidationPoint point, std::optional<double> before = {});
  // evaluate() in the validation phase of the clock, reported by nobody.
  double validate();
  // A validation loss measured at `at` to the metrics and the observer.
  void report_validation(double loss, ValidationPoint point, const RunProgress& at,
                         std::optional<double> before = {});
  // Where the run is, for the reporter.
  RunProgress progress() const;
  // This process's layout, as the memory estimate sees it.
  RankLayout rank_layout() const;

  Config config_;
  ParallelContext& context_;
  const Logger& log_;
  TrainerCollaborators with_;
  CheckpointSync local_sync_;
  PhaseClock local_clock_;
  CheckpointSync& checkpoint_sync_;
  PhaseClock& clock_;
  int64_t accumulation_ = 1;
  std::vector<int64_t> split_;  // layers per pipeline rank (core/pipeline.h)
  ScalingController scaling_;
  CheckpointPolicy checkpoints_;
  StepReporter reporter_;
  TokenFormer model_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  DataSplits data_;
  int64_t step_ = 0;
  int64_t first_step_ = 1;  // the first step this process trains: always logged
  int64_t samples_consumed_ = 0;
  double flops_spent_ = 0;  // training FLOPs of every step so far (3 x forward, core/sizes.h)
  int64_t skipped_in_a_row_ = 0;
  bool stop_requested_ = false;
  bool started_ = false;  // start() has run
};

}  // namespace tf
