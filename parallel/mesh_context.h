// The ParallelContext of a multi-process job: the mesh's token-parallel and data-parallel
// sub-communicators, token-parallel ops over the tp group, and gradient synchronisation over the
// dp group (bucketed all-reduce during backward, or ZeRO-1 with parallel.zero1).
// The world communicator must outlive it; main thread only.
#pragma once

#include <memory>

#include "core/config.h"
#include "core/parallel_context.h"
#include "parallel/communicator.h"
#include "parallel/gradient_buckets.h"
#include "parallel/mesh.h"
#include "parallel/token_parallel_ops.h"
#include "parallel/zero1_optimizer.h"

namespace tf::parallel {

// Gradient buckets of about this size: several per tiny model, few per large one.
constexpr int64_t kBucketBytes = 4 << 20;

class MeshContext : public ParallelContext {
 public:
  // Collective over `world` (builds the sub-groups). Throws tf::Error naming the config key when
  // the layout does not fit the world or the model (pp > 1 is not implemented yet).
  MeshContext(Communicator& world, const Config& config, int64_t bucket_bytes = kBucketBytes);

  int64_t world_rank() const override { return world_.rank(); }
  int64_t world_size() const override { return world_.size(); }
  std::string broadcast_from_primary(const std::string& bytes) override;
  torch::Tensor gather_over_world(const torch::Tensor& values) override;
  int64_t dp_rank() const override { return dp_->rank(); }
  int64_t dp_size() const override { return dp_->size(); }
  int64_t ranks_on_host() const override { return ranks_on_host_; }
  const TokenParallelOps& token_ops() const override { return ops_; }

  void attach(TokenFormer& model, torch::optim::AdamW& optimizer,
              const TrainConfig& train) override;
  void export_optimizer_state(torch::optim::AdamW& optimizer) override;
  bool owns_optimizer_state() const override { return zero1_; }
  void set_last_micro_batch(bool last) override;
  std::optional<double> sharded_step(double lr) override;
  void average_gradients(const std::vector<torch::Tensor>& params) override;
  void sum_over_dp(torch::Tensor& values) override { dp_->all_reduce(values); }
  void sum_over_tp(torch::Tensor& values) override { tp_->all_reduce(values); }
  std::string describe() const override;

  const Mesh& mesh() const { return mesh_; }
  Communicator& tp_group() { return *tp_; }
  Communicator& dp_group() { return *dp_; }
  // Gradient bytes this rank handed to the dp all-reduce so far (0 under ZeRO-1 or at dp 1).
  int64_t gradient_bytes_reduced() const { return buckets_ ? buckets_->bytes_reduced() : 0; }

 private:
  Communicator& world_;
  Mesh mesh_;
  bool zero1_;
  int64_t bucket_bytes_;
  std::unique_ptr<Communicator> tp_, dp_;
  CommTokenParallelOps ops_;
  int64_t ranks_on_host_;
  std::unique_ptr<GradientBuckets> buckets_;
  std::unique_ptr<Zero1Optimizer> zero1_optimizer_;
};

}  // namespace tf::parallel
