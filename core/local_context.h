// The ParallelContext of a single process: world, data-parallel, token-parallel and pipeline
// groups of one rank on the CPU. Sums and gathers are the identity, gradients are synchronised by
// plain data parallel over one replica, and there is no other pipeline rank to exchange with
// (exchange_with_pp_rank throws). Tests derive from it to play other ranks.
#pragma once

#include "core/data_parallel_sync.h"
#include "core/parallel_context.h"

namespace tf {

class LocalContext : public ParallelContext {
 public:
  LocalContext();

  int64_t world_rank() const override { return 0; }
  int64_t world_size() const override { return 1; }
  int64_t dp_rank() const override { return 0; }
  int64_t dp_size() const override { return 1; }
  int64_t pp_rank() const override { return 0; }
  int64_t pp_size() const override { return 1; }
  int64_t ranks_on_host() const override { return 1; }
  torch::Device device() const override { return torch::kCPU; }
  const TokenParallelOps& token_ops() const override { return ops_; }
  std::string describe() const override;

  GradientSync& gradient_sync() override { return sync_; }

  std::string context_name() const override { return "LocalContext"; }
  void check_tied_embedding() override {}  // one pipeline rank holds the only copy

  std::string broadcast_from_primary(const std::string& bytes) override { return bytes; }
  torch::Tensor gather_over_world(const torch::Tensor& values) override { return values; }
  void sum_over_dp(torch::Tensor&) override {}
  void sum_over_tp(torch::Tensor&) override {}
  void sum_over_pp(torch::Tensor&) override {}

 private:
  TokenParallelOps ops_;
  DataParallelSync sync_;
};

}  // namespace tf
