// Communicator over an MPI communicator, for CPU tensors (float32/64, int32/64, uint8). Owns its
// MPI_Comm (freed in the destructor while MPI is still initialised), so an MpiRuntime must outlive
// it. Errors are returned by MPI (MPI_ERRORS_RETURN) and thrown as CommError.
#pragma once

#include <mpi.h>

#include "parallel/communicator.h"

namespace tf::parallel {

class MpiCommunicator : public Communicator {
 public:
  // A communicator owning a duplicate of `comm`.
  static std::unique_ptr<MpiCommunicator> duplicate(MPI_Comm comm);
  ~MpiCommunicator() noexcept override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void all_reduce(torch::Tensor& tensor, const AllReduceOptions& options) override;
  std::unique_ptr<Work> start_all_reduce(torch::Tensor& tensor,
                                         const AllReduceOptions& options) override;
  torch::Tensor all_gather(const torch::Tensor& input, const CountsOptions& options) override;
  torch::Tensor reduce_scatter(const torch::Tensor& input, const CountsOptions& options) override;
  void broadcast(torch::Tensor& tensor, const BroadcastOptions& options) override;
  void send(const torch::Tensor& tensor, const PeerOptions& options) override;
  void recv(torch::Tensor& tensor, const PeerOptions& options) override;
  void send_recv(const torch::Tensor& out, torch::Tensor& in, const PeerOptions& options) override;
  void barrier() override;
  std::unique_ptr<Communicator> split(const SplitOptions& options) override;

 private:
  explicit MpiCommunicator(MPI_Comm owned);

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace tf::parallel
