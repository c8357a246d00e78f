// The single-process communicator: a group of one, so every parallel code path runs (and is tested)
// at world size 1. Collectives are copies or no-ops; point-to-point calls have no peer and throw
// CommError.
#pragma once

#include "parallel/communicator.h"

namespace tf::parallel {

class LocalCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "local"; }

  void all_reduce(torch::Tensor& tensor, const AllReduceOptions& options) override;
  std::unique_ptr<Work> start_all_reduce(torch::Tensor& tensor,
                                         const AllReduceOptions& options) override;
  torch::Tensor all_gather(const torch::Tensor& input, const CountsOptions& options) override;
  torch::Tensor reduce_scatter(const torch::Tensor& input, const CountsOptions& options) override;
  void broadcast(torch::Tensor& tensor, const BroadcastOptions& options) override;
  void send(const torch::Tensor& tensor, const PeerOptions& options) override;
  void recv(torch::Tensor& tensor, const PeerOptions& options) override;
  void send_recv(const torch::Tensor& out, torch::Tensor& in, const PeerOptions& options) override;
  void barrier() override {}
  std::unique_ptr<Communicator> split(const SplitOptions& options) override;
};

}  // namespace tf::parallel
