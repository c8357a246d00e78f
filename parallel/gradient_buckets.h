// Data-parallel gradient averaging in buckets that overlap the backward pass. Parameters are packed
// into buckets of about `bucket_bytes`, in reverse registration order (the order backward produces
// their gradients). During the backward of an armed micro batch, a post hook on each parameter's
// gradient accumulator copies the finished gradient into its bucket; a full bucket starts a
// non-blocking all-reduce(sum), strictly in bucket order so every rank issues the same sequence.
// finish() waits and writes grad = sum / dp_size back: the mean over the global batch, since each
// rank's gradient is already the mean over its own micro batches.
// Owns the hooks (removed in the destructor); the group and parameters must outlive it. Main
// thread.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "parallel/communicator.h"

namespace torch::autograd {
struct Node;
}

namespace tf::parallel {

class GradientBuckets {
 public:
  GradientBuckets(Communicator& group, std::vector<torch::Tensor> params, int64_t bucket_bytes);
  ~GradientBuckets() noexcept;
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // Arms (or disarms) the hooks for the next backward; only the last micro batch is armed.
  void arm(bool armed) { armed_ = armed; }
  // Starts any bucket not started yet (parameters without a gradient count as zeros), waits for
  // all, and writes the averaged gradients. Throws CommError on a failed collective.
  void finish();

  int64_t num_buckets() const { return static_cast<int64_t>(buckets_.size()); }
  // Buckets whose all-reduce a hook started during backward (not finish()) since construction.
  int64_t started_during_backward() const { return started_during_backward_; }
  // Bytes this rank handed to all-reduce since construction.
  int64_t bytes_reduced() const { return bytes_reduced_; }

  // Called by the hooks: parameter `index` has its final gradient for this step.
  void on_gradient_ready(size_t index);

 private:
  struct Bucket {
    std::vector<size_t> members;   // parameter indices
    std::vector<int64_t> offsets;  // of each member in buffer
    torch::Tensor buffer;
    size_t ready = 0;
    std::unique_ptr<Work> work;
  };
  void start_ready_buckets();
  void copy_in(size_t index);

  Communicator& group_;
  std::vector<torch::Tensor> params_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;
  std::vector<bool> copied_;
  size_t next_to_start_ = 0;
  bool armed_ = false;
  int64_t bytes_reduced_ = 0;
  int64_t started_during_backward_ = 0;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::vector<uintptr_t> hook_keys_;
};

}  // namespace tf::parallel
