// The training loop: micro-batched forward/backward, gradient averaging over data parallel ranks,
// clipping, AdamW with the warm-up + cosine schedule, periodic validation and log lines.
// One Trainer per rank; every rank calls the same methods in the same order.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "core/config.h"
#include "core/data/batch_source.h"
#include "core/log.h"
#include "core/model.h"
#include "core/parallel_context.h"
#include "core/schedule.h"

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
};

class Trainer;

// Hooks into Trainer::run(), called on the training thread of every rank. The control plane
// implements it; core/ knows nothing of what it does. The Trainer does not own it.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // Before every step; may block (pause) and may call Trainer::request_stop().
  virtual void on_step_boundary(Trainer& trainer) = 0;
  virtual void on_step(const StepStats& stats) = 0;
  virtual void on_validation(int64_t step, double loss) = 0;
};

class Trainer {
 public:
  Trainer(const Config& config, ParallelContext& context, const Logger& log);

  // Runs the remaining steps with log lines, validation and a final validation pass.
  void run();
  // One optimizer step over the next global batch.
  StepStats train_step();
  // Mean validation loss over train.eval_batches micro batches per data-parallel rank.
  double evaluate();

  int64_t step() const { return step_; }
  int64_t samples_consumed() const { return samples_consumed_; }
  TokenFormer& model() { return model_; }
  const Config& config() const { return config_; }
  int64_t accumulation_steps() const { return accumulation_; }
  // `observer` (may be null) must outlive run().
  void set_observer(StepObserver* observer) { observer_ = observer; }
  // run() finishes after the current step (with its final validation pass).
  void request_stop() { stop_requested_ = true; }

 private:
  void build_optimizer();
  double clip_gradients();
  void log_step(const StepStats& stats) const;

  Config config_;
  ParallelContext& context_;
  const Logger& log_;
  TokenFormer model_{nullptr};
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  LrSchedule schedule_;
  DataSplits data_;
  int64_t accumulation_ = 1;
  int64_t step_ = 0;
  int64_t samples_consumed_ = 0;
  StepObserver* observer_ = nullptr;
  bool stop_requested_ = false;
};

}  // namespace tf
