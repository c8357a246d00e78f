#include "parallel/local_communicator.h"

namespace tf::parallel {
namespace {

class DoneWork : public Work {
 public:
  bool poll() override { return true; }
  void wait() override {}
};

void check_root(const Communicator& comm, const char* op, int root, const torch::Tensor& t) {
  if (root != 0) {
    throw CommError(describe_call(comm, op, t) + ": root " + std::to_string(root) +
                    " outside a group of 1");
  }
}

}  // namespace

void LocalCommunicator::all_reduce(torch::Tensor&, const AllReduceOptions&) {}

std::unique_ptr<Work> LocalCommunicator::start_all_reduce(torch::Tensor&, const AllReduceOptions&) {
  return std::make_unique<DoneWork>();
}

torch::Tensor LocalCommunicator::all_gather(const torch::Tensor& input,
                                            const CountsOptions& options) {
  gather_counts(*this, input, options);
  return input.reshape({-1}).clone();
}

torch::Tensor LocalCommunicator::reduce_scatter(const torch::Tensor& input,
                                                const CountsOptions& options) {
  resolve_counts(*this, "reduce_scatter", input.numel(), options);
  return input.reshape({-1}).clone();
}

void LocalCommunicator::broadcast(torch::Tensor& tensor, const BroadcastOptions& options) {
  check_root(*this, "broadcast", options.root, tensor);
}

void LocalCommunicator::send(const torch::Tensor& tensor, const PeerOptions& options) {
  throw CommError(describe_call(*this, "send", tensor) + ": no peer " +
                  std::to_string(options.peer) + " in a single-process group");
}

void LocalCommunicator::send_recv(const torch::Tensor& out, torch::Tensor&,
                                  const PeerOptions& options) {
  throw CommError(describe_call(*this, "send_recv", out) + ": no peer " +
                  std::to_string(options.peer) + " in a single-process group");
}

void LocalCommunicator::recv(torch::Tensor& tensor, const PeerOptions& options) {
  throw CommError(describe_call(*this, "recv", tensor) + ": no peer " +
                  std::to_string(options.peer) + " in a single-process group");
}

std::unique_ptr<Communicator> LocalCommunicator::split(const SplitOptions&) {
  return std::make_unique<LocalCommunicator>();
}

}  // namespace tf::parallel
