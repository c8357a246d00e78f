// Progressive scaling of a Trainer: the stages of the run (core/stages.h), the one training now
// and since which step, and every change of the model's size: the growth of model.init_from to the
// first stage, stage transitions, ScaleUp requests (validated, checked against every rank's memory,
// failure-atomic growth with the optimizer rebuilt) and the announcement of the model to the
// observer. One per Trainer, which it reaches into for the model and optimizer; training thread
// only. "Stage" here is always a scaling stage, never a pipeline rank.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/frozen_rows.h"
#include "core/growth.h"
#include "core/growth_recipe.h"
#include "core/log.h"
#include "core/memory_estimate.h"
#include "core/parallel_context.h"
#include "core/sizes.h"
#include "core/stages.h"

namespace tf {

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

// A growth whose grown model should compute the same function (`preserve` without noise) but does
// not: a bug, which stops the run. Nothing is saved after it.
class GrowthCheckFailed : public Error {
 public:
  using Error::Error;
};

// How a ScaleUp grows; unset: the next stage's own recipe when it starts that stage, the current
// stage's when it grows in place (re-warming over the stage's warm-up steps).
struct GrowthChoice {
  std::optional<GrowthPolicy> growth;
  std::optional<bool> carry_optimizer;
  std::optional<double> noise;
  std::optional<int64_t> freeze_old_steps;
  std::optional<int64_t> rewarm_steps;

  // `base` with the choices made here.
  GrowthRecipe applied_to(GrowthRecipe base) const;
};

// The relative tolerance of the check at a growth that preserves the function: the validation loss
// after it must equal the one before to this, relative (fp32 arithmetic, or bf16 activations).
double preservation_tolerance(Precision precision);
// Empty when the losses before and after a growth with `recipe` agree as they must; otherwise why
// not, with the numbers.
std::string preservation_failure(double before, double after, const GrowthRecipe& recipe,
                                 double tolerance);

// The stage a launch of `config` trains first: the one the newest complete checkpoint under
// checkpoint.dir continues with (the next stage when that checkpoint ended its stage), or the
// first stage when there is none. Its `parallel` is the layout the launch must run.
Stage launch_stage(const Config& config);

class ScalingController {
 public:
  ScalingController(Trainer& trainer, std::vector<Stage> stages);

  const Stage& stage() const { return stages_[index_]; }
  const std::vector<Stage>& stages() const { return stages_; }
  size_t index() const { return index_; }
  int64_t stage_start() const { return start_; }  // global step at which the stage started
  int64_t growths() const { return growths_; }
  bool is_last() const { return index_ + 1 == stages_.size(); }
  // The stage has run its steps at global step `step`.
  bool finished_at(int64_t step) const { return step - start_ >= stage().steps; }
  // Where a checkpoint left off.
  void restore(size_t index, int64_t stage_start, int64_t growths, const TokenFreeze& freeze,
               const Rewarm& rewarm);
  const TokenFreeze& freeze() const { return freeze_; }
  const Rewarm& rewarm() const { return rewarm_; }
  // The learning rate of the next optimizer step (global step `step` + 1): the stage's schedule,
  // times the re-warm after a growth in place.
  double next_lr(int64_t step) const;
  // The rows that optimizer step `step` (1-based) must leave as they are (core/frozen_rows.h).
  std::vector<FrozenRows> frozen_at(int64_t step) const;

  // At construction: a tf::Error naming the stage when one of them cannot fit this rank.
  void check_stages_fit() const;
  // model.init_from: loads the weights, growing them to the first stage with model.init_growth,
  // init_noise and init_freeze_steps when they hold fewer tokens (checked on the validation
  // batches; the two losses are reported by report_initial_growth). Needs the trainer's data.
  void start_from(const InitialWeights& weights);
  // The validation losses around model.init_from's growth, for the metrics (a run that resumed
  // reported them before).
  void report_initial_growth();
  // Trainer::grow_to, start_next_stage and scale_up (trainer.h).
  void grow_to(const TokenCounts& tokens, const GrowthRecipe& recipe);
  bool start_next_stage();
  std::string scale_up(const std::optional<TokenCounts>& tokens, const GrowthChoice& choice);
  // The stage's layout is the one this process runs.
  bool runs_here(const Stage& stage) const;

  ModelState model_state() const;
  // Tells the observer (if any) the model_state().
  void announce_model() const;

 private:
  // The growth itself, failure-atomic, with the optimizer rebuilt and the freeze of `recipe` begun;
  // no validation and no announcement.
  void grow(const TokenCounts& tokens, const GrowthRecipe& recipe);
  // After a growth: the validation pass after it, reported with the jump from `before`, and the
  // check of function preservation (throws GrowthCheckFailed).
  void check_growth(double before, const GrowthRecipe& recipe);
  // This process's layout, as the memory estimate sees it.
  RankLayout rank_layout() const;
  // Refuses (ScaleUpRefused kOutOfMemory) a model of `tokens` that does not fit every rank's
  // memory; collective over the world.
  void check_memory(const TokenCounts& tokens);
  // What this rank may use (its GPU's on CUDA, its share of the host's on the CPU).
  MemoryBudget memory_budget() const;

  Trainer& t_;
  const Config& config_;  // the trainer's
  ParallelContext& context_;
  const Logger& log_;
  std::vector<Stage> stages_;
  size_t index_ = 0;
  int64_t start_ = 0;    // global step at which the current stage started
  int64_t growths_ = 0;  // growths so far: seeds the new tokens of the next one
  TokenFreeze freeze_;   // of the latest growth
  Rewarm rewarm_;        // after the latest growth in place
  // model.init_from's validation losses before and after its growth, until reported.
  std::optional<std::pair<double, double>> initial_growth_;
};

}  // namespace tf
