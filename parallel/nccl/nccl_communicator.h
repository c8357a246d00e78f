// Communicator over NCCL for CUDA tensors (raw device pointers; the tensors' device must be the
// communicator's). Built only when the CUDA toolkit and NCCL are found (target tf_comm_nccl).
// Every collective runs on the communicator's own stream, ordered by an event after LibTorch's
// current stream, and the calling thread waits for it by polling: a collective that reports an
// asynchronous NCCL error or exceeds the time-out aborts the communicator and throws CommError,
// so a dead peer turns into an error instead of a hang. Communicators are non-blocking: creation
// and splits are polled against the same time-out. After such a failure the object is
// unusable (every call throws); its destructor then aborts instead of destroying, never blocking.
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>

#include "parallel/communicator.h"

namespace tf::parallel {

constexpr std::chrono::seconds kNcclTimeout{300};

class NcclCommunicator : public Communicator {
 public:
  // Collective over `bootstrap` (usually MPI): its rank 0 creates the ncclUniqueId and broadcasts
  // it; ranks and size are taken from `bootstrap`. Uses CUDA device `device`.
  static std::unique_ptr<NcclCommunicator> create(Communicator& bootstrap, int device,
                                                  std::chrono::milliseconds timeout = kNcclTimeout);
  ~NcclCommunicator() noexcept override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

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

  // Aborts every communicator of the process that is not destroyed yet, from any thread (the
  // watchdog's, launcher/watchdog.h): calls blocked in them return with an error. The objects stay
  // unusable; the process is expected to exit.
  static void abort_all() noexcept;

  // Polls `done` (recorded after a collective on this communicator's stream) until it completes;
  // aborts and throws CommError naming `what` on an asynchronous error or the time-out.
  void wait_for(cudaEvent_t done, const std::string& what);
  // Polls once: true when `done` has completed; throws like wait_for on an error.
  bool poll(cudaEvent_t done, const std::string& what);

 private:
  NcclCommunicator(ncclComm_t comm, int device, std::chrono::milliseconds timeout);
  // Owns `comm` (just created or split, possibly still in progress): waits for it, then reads its
  // rank and size.
  static std::unique_ptr<NcclCommunicator> adopt(ncclComm_t comm, int device,
                                                 std::chrono::milliseconds timeout,
                                                 const std::string& what);
  // Polls the communicator until its last non-blocking call finished; aborts and throws CommError
  // naming `what` on an error or the time-out.
  void settle(const std::string& what);
  // Makes the device current, orders the stream after LibTorch's, runs `launch` (which enqueues
  // NCCL calls on stream_) inside an NCCL group and records `done` after it.
  template <typename Launch>
  void enqueue(const std::string& what, cudaEvent_t done, Launch&& launch);
  void fail(const std::string& message);  // aborts the communicator, then throws
  void check_usable(const std::string& what) const;

  ncclComm_t comm_;
  int device_;
  int rank_ = 0;
  int size_ = 1;
  std::chrono::milliseconds timeout_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = nullptr;
  cudaEvent_t done_ = nullptr;
  bool aborted_ = false;
};

}  // namespace tf::parallel
