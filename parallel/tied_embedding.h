// The tied embedding under pipelining: the first pipeline rank embeds with it, the last computes
// the head with its own copy, and the two must stay bit-identical. This holds the copy of this
// pipeline rank (none on the ranks between, or without pipelining), sums the two gradients before
// each update and checks the two copies before each checkpoint. The pipeline and world groups must
// outlive it; training thread only; throws CommError on a failed collective.
#pragma once

#include <torch/torch.h>

#include "core/model.h"
#include "parallel/communicator.h"

namespace tf::parallel {

class TiedEmbedding {
 public:
  TiedEmbedding(Communicator& pp, Communicator& world) : pp_(pp), world_(world) {}

  // Takes `model`'s embedding when this pipeline rank holds a copy (again after every rebuild).
  void attach(TokenFormer& model);
  // Adds the other copy's gradient to this copy's, on both ends (after backward). Collective over
  // the two ends; nothing elsewhere.
  void sum_gradients();
  // Throws tf::Error on every rank when the two copies differ anywhere in the job. Collective over
  // the world.
  void check();

 private:
  // The pipeline rank at the other end (the last for the first, else the first).
  int64_t peer() const;

  // Point-to-point tag on the pipeline group (activations use 0, parallel/mesh_context.h).
  static constexpr int kTiedTag = 1;

  Communicator& pp_;
  Communicator& world_;
  torch::Tensor embedding_;  // this pipeline rank's copy; undefined where there is none
};

}  // namespace tf::parallel
