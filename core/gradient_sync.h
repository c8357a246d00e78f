// A gradient-sync strategy: how a rank turns the gradients of its micro batches into an optimizer
// step. It owns the reduction over the data-parallel group, the global gradient norm, clipping
// (core/grad_norm.h) and the update; the implementations are plain data parallel
// (core/data_parallel_sync.h, the single process included) and ZeRO-1 (parallel/zero1_sync.h).
// Training thread only. What a strategy keeps from attach() (hooks, ZeRO-1's state) refers to the
// model and optimizer passed there, which must outlive the next attach() or the strategy; the
// single process keeps nothing, so trainers may share its context. A method a strategy does not
// implement throws tf::Error naming the strategy and the operation.
#pragma once

#include <torch/torch.h>

#include <string>

#include "core/config.h"
#include "core/frozen_rows.h"
#include "core/model.h"

namespace tf {

// What one optimizer step works on. Plain data parallel steps `model` with `optimizer`; ZeRO-1
// steps the model and state it was attached to (the same ones, as the trainer attaches them).
// Rows in `frozen` (parameters of `model`) get no update and no moment change, and their gradients
// count as zero in the norm (core/frozen_rows.h).
struct StepRequest {
  TokenFormer& model;
  torch::optim::AdamW& optimizer;
  const TrainConfig& train;
  double lr;
  std::vector<FrozenRows> frozen = {};
};

struct SyncedStep {
  double grad_norm = 0;     // before clipping; not finite: nothing was updated
  double comm_seconds = 0;  // spent reducing the gradients (ZeRO-1: the whole step)
};

class GradientSync {
 public:
  virtual ~GradientSync() = default;

  // "data parallel", "ZeRO-1", ...: for errors and logs.
  virtual std::string name() const = 0;
  // Called by the trainer once the model and its optimizer exist with their final values and state
  // (again whenever they are rebuilt or restored) and before the first backward: a strategy may
  // hook the parameters' gradients here, and ZeRO-1 takes over the optimizer's state. Local.
  virtual void attach(TokenFormer& model, torch::optim::AdamW& optimizer,
                      const TrainConfig& train) = 0;
  // Called before each backward; `last` marks the last micro batch of an optimizer step, after
  // whose backward the gradients are complete and may be synchronised (the hooks of that backward
  // start collectives). Local.
  virtual void set_last_micro_batch(bool last) = 0;
  // After the last backward of an optimizer step: averages the gradients over the data-parallel
  // group (under pipelining the tied embedding's two gradients are summed over the first and the
  // last pipeline rank), computes the global norm, clips to train.grad_clip and, when the norm is
  // finite, updates the parameters with AdamW at the request's lr. Collective over the job.
  virtual SyncedStep step(const StepRequest& request) = 0;
  // True when the strategy keeps the optimizer state itself (ZeRO-1): the trainer's optimizer then
  // holds a state only after export_optimizer_state, a copy it drops after use. Local.
  virtual bool owns_optimizer_state() const = 0;
  // Writes the state the strategy owns back into `optimizer`'s per-parameter state (for a
  // checkpoint, or to carry moments through growth). Collective over the data-parallel group.
  // Default: throws (a strategy that does not own the state has nothing to write).
  virtual void export_optimizer_state(torch::optim::AdamW& optimizer);
};

}  // namespace tf
