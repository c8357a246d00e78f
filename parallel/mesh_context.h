// The ParallelContext of a multi-process job: the rank's device (train.device), the mesh's
// token-parallel, data-parallel and pipeline sub-communicators, token-parallel ops over the tp
// group, gradient synchronisation over the dp group (bucketed all-reduce during backward, or
// ZeRO-1 with parallel.zero1), and activations, their gradients and the tied embedding's gradient
// between pipeline ranks. On a CUDA device the sub-groups are NCCL communicators bootstrapped over
// the world communicator; on the CPU they are split from it. The world communicator (MPI, CPU
// tensors) carries the job-wide agreement. It must outlive the context; main thread only.
#pragma once

#include <memory>

#include "core/config.h"
#include "core/device.h"
#include "core/parallel_context.h"
#include "parallel/bucketed_sync.h"
#include "parallel/communicator.h"
#include "parallel/mesh.h"
#include "parallel/tied_embedding.h"
#include "parallel/token_parallel_ops.h"

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

  // Topology
  int64_t world_rank() const override { return world_.rank(); }
  int64_t world_size() const override { return world_.size(); }
  int64_t dp_rank() const override { return dp_->rank(); }
  int64_t dp_size() const override { return dp_->size(); }
  int64_t pp_rank() const override { return pp_->rank(); }
  int64_t pp_size() const override { return pp_->size(); }
  int64_t ranks_on_host() const override { return host_.ranks_on_host; }
  // This rank's index among the job's ranks on its host.
  int64_t local_rank() const { return host_.local_rank; }
  torch::Device device() const override { return device_; }
  const TokenParallelOps& token_ops() const override { return ops_; }
  std::string describe() const override;

  // Gradient sync: parallel/bucketed_sync.h, or parallel/zero1_sync.h with parallel.zero1.
  GradientSync& gradient_sync() override { return *sync_; }

  // Pipeline links
  std::string context_name() const override { return "MeshContext"; }
  void exchange_with_pp_rank(int64_t pp_rank, const torch::Tensor& send,
                             const torch::Tensor& recv) override;
  void check_tied_embedding() override { tied_.check(); }

  // Job-wide agreement
  std::string broadcast_from_primary(const std::string& bytes) override;
  torch::Tensor gather_over_world(const torch::Tensor& values) override;
  void sum_over_dp(torch::Tensor& values) override { dp_->all_reduce(values); }
  void sum_over_tp(torch::Tensor& values) override { tp_->all_reduce(values); }
  void sum_over_pp(torch::Tensor& values) override { pp_->all_reduce(values); }

  Communicator& tp_group() { return *tp_; }
  Communicator& pp_group() { return *pp_; }
  // Gradient bytes this rank handed to the dp all-reduce so far (0 under ZeRO-1 or at dp 1).
  int64_t gradient_bytes_reduced() const { return bucketed_ ? bucketed_->bytes_reduced() : 0; }

 private:
  // What the sub-groups are split from: the device communicator, or the world on the CPU.
  Communicator& group_parent() { return device_world_ ? *device_world_ : world_; }

  // Point-to-point tag on the pipeline group for activations and their gradients (the tied
  // embedding uses its own, parallel/tied_embedding.h).
  static constexpr int kActivationTag = 0;

  Communicator& world_;
  Mesh mesh_;
  DeviceFacts host_;
  torch::Device device_;
  std::unique_ptr<Communicator> device_world_;  // NCCL on a CUDA device; null on the CPU
  std::unique_ptr<Communicator> tp_, dp_, pp_;
  std::vector<int64_t> split_;  // layers per pipeline rank
  CommTokenParallelOps ops_;
  TiedEmbedding tied_;
  std::unique_ptr<GradientSync> sync_;
  BucketedSync* bucketed_ = nullptr;  // sync_ under plain data parallel, else null
};

}  // namespace tf::parallel
