// Saving a checkpoint: every rank writes its own safetensors file, then world rank 0 writes the
// manifest, renames the staging directory into place and writes the completion marker last.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/checkpoint/manifest.h"
#include "core/checkpoint/sync.h"

namespace tf {

// Rows [row_offset, row_offset + local.size(0)) of a tensor whose whole shape is `global_shape`
// (row_offset 0 and local.sizes() == global_shape when it is not sharded).
struct ShardTensor {
  std::string name;
  torch::Tensor local;
  std::vector<int64_t> global_shape;
  int64_t row_offset = 0;
};

// What one rank contributes: the run state (the same on every rank) and its tensors. A replicated
// tensor must come from exactly one rank, and the slices of a sharded one must not overlap.
struct CheckpointState {
  RunState run;
  std::vector<ShardTensor> tensors;
};

// Collective over `sync`; `root` is created if missing. Writes ROOT/step_<run.step> and then
// deletes complete checkpoints beyond the newest `keep` and stale incomplete ones older than it.
// Returns the new directory. A failure on any rank throws tf::Error on every rank; complete
// checkpoints are never touched by a failed save, and an existing complete step_<N> is an error.
std::string save_checkpoint(const std::string& root, const CheckpointState& state, int64_t keep,
                            CheckpointSync& sync);

}  // namespace tf
