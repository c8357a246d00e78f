// The training loop: micro-batched forward/backward, gradient averaging over data parallel ranks,
// clipping, AdamW with the warm-up + cosine schedule, periodic validation and log lines.
// One Trainer per rank; every rank calls the same methods in the same order.
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
#include "core/trainer/metrics_log.h"

namespace tf {

struct StepStats {
  int64_t step = 0;      // 1-based index of the optimizer step just taken
  double loss = 0;       // mean over the global batch
  double grad_norm = 0;  // before clipping
  double lr = 0;
  double seconds = 0;
  int64_t tokens = 0;       // tokens in the global batch
  double data_seconds = 0;  // waiting for batches
  double comm_seconds = 0;  // averaging gradients over data-parallel ranks
  // The gradient norm was not finite: no parameter or optimizer state changed (the step still
  // counts, its batch is consumed and the schedule moves on).
  bool skipped = false;
  // This rank's peak GPU memory since the start (none on the CPU).
  std::optional<DeviceMemory> device_memory;
};

class Trainer;
class InitialWeights;

// What the model is now: sent to the StepObserver whenever it changes, so that status and metrics
// describe the model that trains at that step.
struct ModelState {
  int64_t stage_index = 0;
  std::string stage;  // the stage's name; empty when the config lists no stages
  TokenCounts tokens;
  int64_t parameters = 0;
  double training_flops_per_token = 0;  // core/sizes.h
  int64_t total_steps = 0;              // steps the run will have taken when its last stage ends
};

// A ScaleUp the trainer refused; the model, optimizer and schedule are as they were.
class ScaleUpRefused : public Error {
 public:
  enum class Reason {
    kInvalid,       // counts below the model's, or none larger
    kNoStage,       // no next stage, or it needs another parallel layout than this job's
    kOutOfMemory,   // the grown model does not fit some rank's memory (the estimate)
    kGrowthFailed,  // allocating the grown model failed on some rank
  };
  ScaleUpRefused(Reason reason, const std::string& message) : Error(message), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

// The stage a launch of `config` trains first: the one the newest complete checkpoint under
// checkpoint.dir continues with (the next stage when that checkpoint ended its stage), or the
// first stage when there is none. Its `parallel` is the layout the launch must run.
Stage launch_stage(const Config& config);

// Hooks into Trainer::run(), called on the training thread of every rank. The control plane
// implements it; core/ knows nothing of what it does. The Trainer does not own it.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // Before every step; may block (pause) and may call Trainer::request_stop().
  virtual void on_step_boundary(Trainer& trainer) = 0;
  // After set_observer, a resume, growth in place and each stage start.
  virtual void on_model_change(const ModelState& state) = 0;
  virtual void on_step(const StepStats& stats) = 0;
  virtual void on_validation(int64_t step, double loss) = 0;
  // After every checkpoint save (periodic, at a stage or run end, on request) with its wall time;
  // `path` is empty when the save failed (the error is then thrown on).
  virtual void on_checkpoint(int64_t step, const std::string& path, double seconds) = 0;
};

class Trainer {
 public:
  Trainer(const Config& config, ParallelContext& context, const Logger& log);

  // What run() ended with.
  enum class RunEnd {
    kFinished,      // every stage ran
    kLayoutChange,  // the next stage needs another parallel layout: relaunch to continue
    kPreempted,     // a rank's preemption flag was set: checkpoint written, relaunch to resume
  };
  // Runs the remaining steps of every stage with log lines, validation, stage transitions and a
  // final validation pass.
  RunEnd run();
  // One optimizer step over the next global batch.
  StepStats train_step();
  // Mean validation loss over the first train.eval_batches micro batches of the validation split,
  // shared out over the data-parallel ranks (the same value in every layout).
  double evaluate();

  // Grows the model at this step boundary to `tokens` with `policy` (a no-op for counts already
  // reached), rebuilds the optimizer (fresh, or carrying the old tokens' moments) and logs it.
  // Every rank must call it at the same step. Failure-atomic: when allocating the grown model
  // fails on any rank, all ranks keep the old model and optimizer and throw ScaleUpRefused
  // (kGrowthFailed).
  void grow_to(const TokenCounts& tokens, GrowthPolicy policy, bool carry_optimizer);
  // Ends the current stage now and starts the next one (growth, optimizer, schedule restart).
  // Returns false, doing nothing, when the next stage needs another parallel layout than this
  // process runs, or when the current stage is the last. Throws as grow_to.
  bool start_next_stage();
  // How a ScaleUp grows; unset: the next stage's own growth and optimizer rule when it starts
  // that stage, `preserve` and `reset` when it grows in place.
  struct GrowthChoice {
    std::optional<GrowthPolicy> growth;
    std::optional<bool> carry_optimizer;
  };
  // A ScaleUp request, on every rank at the same step boundary. With no counts, or the next
  // stage's counts, it starts the next stage; with other counts it grows in place (`choice` says
  // how in both cases). Refuses (ScaleUpRefused, nothing changed) counts that
  // shrink or do not grow, a next stage that does not exist or needs another layout, a model
  // whose memory estimate does not fit some rank, and a growth whose allocation fails. Returns a
  // one-line description of what it did.
  std::string scale_up(const std::optional<TokenCounts>& tokens, const GrowthChoice& choice = {});

  // The model as it is now, as announced to the observer.
  ModelState model_state() const;
  const Stage& stage() const { return stages_[stage_]; }
  const std::vector<Stage>& stages() const { return stages_; }
  size_t stage_index() const { return stage_; }
  int64_t step() const { return step_; }
  int64_t samples_consumed() const { return samples_consumed_; }
  double flops_spent() const { return flops_spent_; }
  TokenFormer& model() { return model_; }
  torch::optim::AdamW& optimizer() { return *optimizer_; }
  const Config& config() const { return config_; }
  int64_t accumulation_steps() const { return accumulation_; }
  // `observer` (may be null) must outlive run(); it is told the model_state() at once.
  void set_observer(StepObserver* observer);
  // run() finishes after the current step (with its final validation pass).
  void request_stop() { stop_requested_ = true; }
  // `flag` (a signal's, launcher/preemption.h) is polled at every step boundary of run(); once it
  // is set on any rank, every rank agrees at that boundary (one small gather over the world),
  // writes a checkpoint (when checkpoint.dir is set) and run() returns kPreempted.
  void set_preemption_flag(std::function<bool()> flag) { preemption_flag_ = std::move(flag); }
  // The clock run() enters its phases on (steps, validation, saves), read by a watchdog; `clock`
  // must outlive the trainer.
  void set_phase_clock(PhaseClock& clock) { clock_ = &clock; }

  // Checkpoints (defined in checkpoint_state.cpp). The state is this rank's part of
  // the parameters and AdamW moments plus the run scalars; restore() replaces all of them and
  // throws tf::Error naming the checkpoint and tensor when shapes disagree with the model.
  CheckpointState checkpoint_state();
  void restore(const CheckpointReader& checkpoint);
  // Saves step_<step()> under checkpoint.dir; collective over the checkpoint sync.
  std::string save_checkpoint();
  // Restores the newest complete checkpoint under checkpoint.dir; false when there is none.
  bool resume_from_latest();
  // The ranks' agreement for saves; the single-process default until the parallel layer sets one.
  void set_checkpoint_sync(CheckpointSync& sync) { checkpoint_sync_ = &sync; }

 private:
  // model.init_from: loads the weights, growing them to the first stage with model.init_growth
  // when they hold fewer tokens.
  void start_from(const InitialWeights& weights);
  // grow_to without the announcement.
  void grow(const TokenCounts& tokens, GrowthPolicy policy, bool carry_optimizer);
  void announce_model() const;
  // The stage's layout is the one this process runs.
  bool runs_here(const Stage& stage) const;
  // This process's layout, as the memory estimate sees it.
  RankLayout rank_layout() const;
  // Refuses (ScaleUpRefused kOutOfMemory) a model of `tokens` that does not fit every rank's
  // memory; collective over the world.
  void check_memory(const TokenCounts& tokens);
  // At construction: a tf::Error naming the stage when one of them cannot fit this rank.
  void check_stages_fit() const;
  // What this rank may use (its GPU's on CUDA, its share of the host's on the CPU).
  MemoryBudget memory_budget() const;
  // The checkpoint name of the τ frozen for this stage's Pattention `local_pattention`: its global
  // index in model order.
  std::string tau_name(size_t local_pattention) const;
  // A model of `tokens` for this rank's token shard and pipeline stage (parameters zero).
  TokenFormer make_model(const TokenCounts& tokens) const;
  void build_optimizer();
  double clip_gradients();
  // Micro batch i of the current optimizer step (or validation pass), on the device.
  using SampleSource = std::function<torch::Tensor(int64_t)>;
  // The forward and backward passes of the step's micro batches on this stage (pipeline_step.cpp),
  // exchanging activations and their gradients with the neighbouring stages; returns the sum of
  // the micro batches' losses, each divided by their count (on the last stage; zero on the
  // others), in fp64 on the device.
  torch::Tensor forward_backward(const SampleSource& samples);
  // Forward passes of `count` micro batches; returns the sum of their losses (last stage; zero on
  // the others) in fp64 on the device.
  torch::Tensor forward_only(const SampleSource& samples, int64_t count);
  // One micro batch through this stage: `input` from the previous stage (unused on the first),
  // `samples` [batch, seq + 1] (used on the first and the last). Returns the output for the next
  // stage, or on the last the mean loss.
  torch::Tensor stage_forward(const torch::Tensor& input, const torch::Tensor& samples);
  // An empty tensor shaped like the activations between stages.
  torch::Tensor stage_activation() const;
  void log_step(const StepStats& stats);
  // Adds the step, stage, tokens and FLOPs so far to `record` and writes it to the metrics file.
  void record_metrics(nlohmann::json record);
  // Whether any rank's preemption flag is set; collective over the world when a flag is installed.
  bool preempted();
  // Counts a run of skipped steps; at fault.max_skipped_steps in a row throws RunDiverged naming
  // the newest checkpoint saved before the run began.
  void check_skipped(const StepStats& stats);
  // Runs evaluate() and logs it with the FLOPs spent so far.
  void log_validation(const char* suffix);

  Config config_;
  ParallelContext& context_;
  const Logger& log_;
  TokenFormer model_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::vector<int64_t> split_;  // layers per pipeline stage (core/pipeline.h)
  std::vector<Stage> stages_;
  size_t stage_ = 0;
  int64_t stage_start_ = 0;  // global step at which the current stage started
  int64_t growths_ = 0;      // growths so far: seeds the new tokens of the next one
  DataSplits data_;
  int64_t accumulation_ = 1;
  int64_t step_ = 0;
  int64_t samples_consumed_ = 0;
  double flops_spent_ = 0;  // training FLOPs of every step so far (3 x forward, core/sizes.h)
  CheckpointSync local_sync_;
  CheckpointSync* checkpoint_sync_ = &local_sync_;
  int64_t saved_step_ = -1;      // step of the last checkpoint written or restored
  std::string good_checkpoint_;  // the newest written or restored with no skipped step after it
  int64_t skipped_in_a_row_ = 0;
  MetricsLog metrics_;  // train.metrics_file, on world rank 0
  StepObserver* observer_ = nullptr;
  bool stop_requested_ = false;
  std::function<bool()> preemption_flag_;
  PhaseClock local_clock_;
  PhaseClock* clock_ = &local_clock_;
};

}  // namespace tf
