// ZeRO-1: AdamW whose state (moments, and the master copy of the parameters it updates) is sharded
// over the data-parallel group. The model's parameters, flattened in a fixed order, are split into
// dp contiguous ranges; this rank owns one. A step reduce-scatters the gradients (mean over the
// group), computes the global gradient norm from the shards, clips, updates its range with the
// same element-wise arithmetic as torch::optim::AdamW, and all-gathers the parameters. Under
// pipelining each pipeline rank's data-parallel group shards that rank's parameters; the norm is
// summed over the pipeline (core/grad_norm.h computes it and clips, as for plain data parallel).
// Weight decay follows the trainer: embedding and parameter tokens decay, the final norm does not.
// The torch AdamW the trainer builds holds the per-parameter state at the boundaries: this rank's
// range of it is taken at construction (zeros where it has none) and written back, gathered, by
// export_state (for checkpoints and for moments carried through growth).
// The groups and the model must outlive it; main thread only; throws CommError on a failed
// collective.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/config.h"
#include "core/frozen_rows.h"
#include "core/model.h"
#include "parallel/communicator.h"

namespace tf::parallel {

class Zero1Optimizer {
 public:
  Zero1Optimizer(Communicator& dp, Communicator& tp, Communicator& pp, TokenFormer& model,
                 torch::optim::AdamW& optimizer, const TrainConfig& train);

  // One optimizer step at learning rate `lr` from the parameters' accumulated (un-averaged)
  // gradients; returns the gradient norm before clipping. A norm that is not finite changes
  // nothing (the trainer reports the step as skipped). The elements of `frozen`'s rows that this
  // rank owns keep their master value and moments; their gradients count as zero.
  double step(double lr, const std::vector<FrozenRows>& frozen = {});
  // Every parameter's moments and step count into `optimizer` (nothing before the first step);
  // collective over the data-parallel group.
  void export_state(torch::optim::AdamW& optimizer);

  // Elements of the flattened parameters this rank owns: [shard_offset, shard_offset + count).
  int64_t shard_offset() const { return offset_; }
  int64_t shard_count() const { return counts_[dp_.rank()]; }

 private:
  torch::Tensor flat_gradients() const;
  // True for the elements of this rank's range that `frozen` holds; undefined when none.
  torch::Tensor frozen_mask(const std::vector<FrozenRows>& frozen) const;
  void scatter_parameters(const torch::Tensor& flat);

  Communicator& dp_;
  Communicator& tp_;
  Communicator& pp_;
  TrainConfig train_;
  std::vector<torch::Tensor> params_;
  std::vector<int64_t> counts_;
  int64_t offset_ = 0;
  torch::Tensor master_, exp_avg_, exp_avg_sq_;
  torch::Tensor decays_;   // bool: this element has weight decay
  torch::Tensor sharded_;  // bool: this element belongs to a token shard (disjoint over tp)
  torch::Tensor counted_;  // bool: in the norm (false for the last pipeline rank's tied copy)
  int64_t steps_ = 0;
};

}  // namespace tf::parallel
