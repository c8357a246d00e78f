// What a pipeline rank needs from the others: activations and their gradients exchanged with
// another pipeline rank, and the check that the two copies of the tied embedding agree. The peers
// are the ranks of the other pipeline ranks that hold the same token shard and data-parallel
// replica. Training thread only; a method that is not implemented throws tf::Error naming the
// context and the operation.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace tf {

class PipelineLinks {
 public:
  virtual ~PipelineLinks() = default;

  // Names the context in the errors of operations it does not implement.
  virtual std::string context_name() const = 0;
  // Sends `send` to pipeline rank `pp_rank` and receives into `recv` (allocated, any dtype, on the
  // device) from it, both at once, so that two pipeline ranks sending to each other cannot
  // deadlock; an undefined tensor is not sent or not received. That rank makes the mirror call.
  // Default: throws (a context without other pipeline ranks).
  virtual void exchange_with_pp_rank(int64_t pp_rank, const torch::Tensor& send,
                                     const torch::Tensor& recv);
  // Throws tf::Error on every rank when the first and the last pipeline rank's copies of the tied
  // embedding differ anywhere in the job (checked at every checkpoint save). Collective over the
  // world.
  virtual void check_tied_embedding() = 0;
};

}  // namespace tf
