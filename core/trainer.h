// The training loop: micro-batched forward/backward, gradient averaging over data parallel ranks,
// clipping, AdamW with the warm-up + cosine schedule, periodic validation and log lines.
// One Trainer per rank; every rank calls the same methods in the same order.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "core/checkpoint/reader.h"
#include "core/checkpoint/sync.h"
#include "core/checkpoint/writer.h"
#include "core/config.h"
#include "core/data/batch_source.h"
#include "core/log.h"
#include "core/model.h"
#include "core/parallel_context.h"
#include "core/schedule.h"

namespace tf {

struct StepStats {
  int64_t step = 0;         // 1-based index of the optimizer step just taken
  double loss = 0;          // mean over the global batch
  double grad_norm = 0;     // before clipping
  double lr = 0;
  double seconds = 0;
  int64_t tokens = 0;       // tokens in the global batch
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

  // Checkpoints (defined in core/checkpoint/trainer_state.cpp). The state is this rank's part of
  // the parameters and AdamW moments plus the run scalars; restore() replaces all of them and
  // throws tf::Error naming the checkpoint and tensor when shapes disagree with the model.
  CheckpointState checkpoint_state();
  void restore(const CheckpointReader& checkpoint);
  // Saves step_<step()> under checkpoint.dir; collective over the checkpoint sync.
  void save_checkpoint();
  // Restores the newest complete checkpoint under checkpoint.dir; false when there is none.
  bool resume_from_latest();
  // The ranks' agreement for saves; the single-process default until the parallel layer sets one.
  void set_checkpoint_sync(CheckpointSync& sync) { checkpoint_sync_ = &sync; }

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
  CheckpointSync local_sync_;
  CheckpointSync* checkpoint_sync_ = &local_sync_;
  int64_t saved_step_ = -1;  // step of the last checkpoint written or restored
};

}  // namespace tf
