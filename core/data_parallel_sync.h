// Plain data parallel: every rank holds the whole optimizer state of its shard of the model and
// takes the same AdamW step from gradients averaged over the data-parallel group. This class owns
// the step (average, global norm and clipping through core/grad_norm.h, the update); what averaging
// means is left to average_gradients(): the identity in one process, bucketed all-reduces over
// the data-parallel group in parallel/bucketed_sync.h. It keeps nothing between steps (the
// request names the model and optimizer). Training thread only.
#pragma once

#include <torch/torch.h>

#include "core/grad_norm.h"
#include "core/gradient_sync.h"

namespace tf {

class DataParallelSync : public GradientSync {
 public:
  // `device`: where the parameters live; `groups`: the sums the gradient norm needs.
  DataParallelSync(torch::Device device, NormGroups groups);

  std::string name() const override { return "data parallel"; }
  void attach(TokenFormer&, torch::optim::AdamW&, const TrainConfig&) override {}
  void set_last_micro_batch(bool) override {}
  SyncedStep step(const StepRequest& request) override;
  bool owns_optimizer_state() const override { return false; }

 protected:
  // Averages the complete gradients of the step over the data-parallel group and, under
  // pipelining, sums the tied embedding's two gradients; nothing in one process. Collective.
  virtual void average_gradients() {}

 private:
  // The squared gradients of `model`, token shards apart from the rest this rank counts.
  GradSquares local_squares(const TokenFormer& model) const;

  torch::Device device_;
  NormGroups groups_;
};

}  // namespace tf
