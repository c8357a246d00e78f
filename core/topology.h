// Who this rank is in the job: its place in the world and in the data-parallel and pipeline
// groups, its host, its device and its token-parallel group. Every context must answer all of it
// (pure); answers are fixed for the context's lifetime, never block and never throw. Training
// thread only.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "core/token_parallel.h"

namespace tf {

class Topology {
 public:
  virtual ~Topology() = default;

  virtual int64_t world_rank() const = 0;
  virtual int64_t world_size() const = 0;
  virtual int64_t dp_rank() const = 0;
  virtual int64_t dp_size() const = 0;
  // This rank's pipeline rank and the size of the pipeline (parallel.pp).
  virtual int64_t pp_rank() const = 0;
  virtual int64_t pp_size() const = 0;
  // Ranks of the job on this rank's host (itself included): they share its memory.
  virtual int64_t ranks_on_host() const = 0;
  // Where this rank's parameters, gradients, optimizer state and batches live (train.device).
  virtual torch::Device device() const = 0;
  // The token-parallel group of this rank (tp_rank/tp_size are its rank/size); its methods are
  // collective over that group.
  virtual const TokenParallelOps& token_ops() const = 0;
  // One line for the banner, e.g. "world 4 = dp 2 x pp 1 x tp 2".
  virtual std::string describe() const = 0;
};

}  // namespace tf
