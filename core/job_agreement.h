// How the ranks of a job agree: one rank's bytes for all, every rank's figures for all, and sums
// of small fp64 tensors (on the device, in place) over the data-parallel, token-parallel and
// pipeline groups. Every method is collective over the named group: all its ranks call it in the
// same order from the training thread, and it blocks until they all have. Failures throw what the
// backend throws (parallel/'s CommError, naming the rank, the operation and the sizes).
#pragma once

#include <torch/torch.h>

#include <string>

namespace tf {

class JobAgreement {
 public:
  virtual ~JobAgreement() = default;

  // Returns world rank 0's `bytes` on every rank (the other ranks' argument is ignored). Carries
  // control commands so that every rank applies them at the same step. Collective over the world.
  virtual std::string broadcast_from_primary(const std::string& bytes) = 0;
  // Every rank's `values` (1-D, the same length and dtype on every rank) concatenated in
  // world-rank order, on every rank. Carries per-rank figures to the metrics, and lets every rank
  // see which ranks cannot grow the model, so that all decide alike. Collective over the world.
  virtual torch::Tensor gather_over_world(const torch::Tensor& values) = 0;
  virtual void sum_over_dp(torch::Tensor& values) = 0;
  virtual void sum_over_tp(torch::Tensor& values) = 0;
  virtual void sum_over_pp(torch::Tensor& values) = 0;
};

}  // namespace tf
