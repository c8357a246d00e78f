// The ParallelContext of a multi-process job: the rank's device (train.device), the mesh's
// token-parallel, data-parallel and pipeline sub-communicators, token-parallel ops over the tp
// group, gradient synchronisation over the dp group (bucketed all-reduce during backward, or
// ZeRO-1 with parallel.zero1), and activations, their gradients and the tied embedding's gradient
// between pipeline stages. On a CUDA device the sub-groups are NCCL communicators bootstrapped over
// the world communicator; on the CPU they are split from it. The world communicator (MPI, CPU
// tensors) carries the job-wide agreement. It must outlive the context; main thread only.
#pragma once

#include <memory>

#include "core/config.h"
#include "core/device.h"
#include "core/parallel_context.h"
#include "parallel/communicator.h"
#include "parallel/gradient_buckets.h"
#include "parallel/mesh.h"
#include "parallel/token_parallel_ops.h"
#include "parallel/zero1_optimizer.h"

namespace tf::parallel {

// Gradient buckets of about this size: several per tiny model, few per large one.
constexpr int64_t kBucketBytes = 4 << 20;

struct MeshOptions {
  int64_t bucket_bytes = kBucketBytes;
  // Runs the gradient buckets even for one data-parallel replica (where averaging is the
  // identity): lets one GPU exercise the bucket path over its communicator.
  bool buckets_for_one_replica = false;
};

class MeshContext : public ParallelContext {
 public:
  // Collective over `world` (chooses the device, builds the sub-groups). Throws tf::Error naming
  // the config key when the layout does not fit the world or the model, or the device cannot be
  // had (core/device.h).
  MeshContext(Communicator& world, const Config& config, const MeshOptions& options = {});

  int64_t world_rank() const override { return world_.rank(); }
  int64_t world_size() const override { return world_.size(); }
  std::string broadcast_from_primary(const std::string& bytes) override;
  torch::Tensor gather_over_world(const torch::Tensor& values) override;
  int64_t dp_rank() const override { return dp_->rank(); }
  int64_t dp_size() const override { return dp_->size(); }
  int64_t pp_rank() const override { return pp_->rank(); }
  int64_t pp_size() const override { return pp_->size(); }
  void exchange_with_stage(int64_t stage, const torch::Tensor& send,
                           const torch::Tensor& recv) override;
  void check_tied_embedding() override;
  int64_t ranks_on_host() const override { return host_.ranks_on_host; }
  torch::Device device() const override { return device_; }
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
  void sum_over_pp(torch::Tensor& values) override { pp_->all_reduce(values); }
  std::string describe() const override;

  const Mesh& mesh() const { return mesh_; }
  Communicator& tp_group() { return *tp_; }
  Communicator& dp_group() { return *dp_; }
  Communicator& pp_group() { return *pp_; }
  // Gradient bytes this rank handed to the dp all-reduce so far (0 under ZeRO-1 or at dp 1).
  int64_t gradient_bytes_reduced() const { return buckets_ ? buckets_->bytes_reduced() : 0; }

 private:
  // What the sub-groups are split from: the device communicator, or the world on the CPU.
  Communicator& group_parent() { return device_world_ ? *device_world_ : world_; }
  // The stage at the other end of the tied embedding (the last for the first, else the first).
  int64_t tied_peer() const;
  // Adds the other end's embedding gradient to this end's (pipelines only; after backward).
  void sum_tied_gradient();

  // Point-to-point tags on the pipeline group: activations and their gradients, and the tied
  // embedding's gradient and check.
  static constexpr int kActivationTag = 0;
  static constexpr int kTiedTag = 1;

  Communicator& world_;
  Mesh mesh_;
  bool zero1_;
  MeshOptions options_;
  DeviceFacts host_;
  torch::Device device_;
  std::unique_ptr<Communicator> device_world_;  // NCCL on a CUDA device; null on the CPU
  std::unique_ptr<Communicator> tp_, dp_, pp_;
  std::vector<int64_t> split_;    // layers per pipeline stage
  torch::Tensor tied_embedding_;  // this stage's embedding when pp > 1 (first or last stage)
  CommTokenParallelOps ops_;
  std::unique_ptr<GradientBuckets> buckets_;
  std::unique_ptr<Zero1Optimizer> zero1_optimizer_;
};

}  // namespace tf::parallel
