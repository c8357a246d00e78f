// Plain data parallel over a mesh: core/data_parallel_sync.h's step, with the gradients averaged
// over the data-parallel group by bucketed all-reduces that overlap the last backward of each step
// (parallel/gradient_buckets.h) and the tied embedding's two gradients summed
// (parallel/tied_embedding.h). The groups and `tied` must outlive it; training thread only;
// throws CommError on a failed collective.
#pragma once

#include <memory>

#include "core/data_parallel_sync.h"
#include "parallel/communicator.h"
#include "parallel/gradient_buckets.h"
#include "parallel/tied_embedding.h"

namespace tf::parallel {

struct BucketOptions {
  int64_t bucket_bytes = 0;
  // Runs the buckets even for one data-parallel replica (where averaging is the identity).
  bool for_one_replica = false;
};

class BucketedSync : public DataParallelSync {
 public:
  BucketedSync(Communicator& dp, Communicator& tp, Communicator& pp, TiedEmbedding& tied,
               torch::Device device, BucketOptions options);

  void attach(TokenFormer& model, torch::optim::AdamW& optimizer,
              const TrainConfig& train) override;
  void set_last_micro_batch(bool last) override;
  // Gradient bytes this rank handed to the all-reduce so far (0 at dp 1 without for_one_replica).
  int64_t bytes_reduced() const { return buckets_ ? buckets_->bytes_reduced() : 0; }

 private:
  void average_gradients() override;

  Communicator& dp_;
  TiedEmbedding& tied_;
  BucketOptions options_;
  std::unique_ptr<GradientBuckets> buckets_;
};

}  // namespace tf::parallel
