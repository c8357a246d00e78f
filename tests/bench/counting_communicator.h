// A Communicator decorator that counts the bytes this rank sends, assuming ring algorithms (what
// MPI and NCCL use for large messages): all-reduce of B bytes over P ranks sends 2(P-1)/P * B,
// all-gather and reduce-scatter of B total bytes send (P-1)/P * B, broadcast sends B from the
// root, send and send_recv send B. Sub-communicators from split() add to the same counter.
#pragma once

#include <memory>

#include "parallel/communicator.h"

namespace tf::parallel::bench {

class CountingCommunicator : public Communicator {
 public:
  // `inner` is owned; `bytes` must outlive this and every communicator split from it.
  CountingCommunicator(std::unique_ptr<Communicator> inner, double* bytes)
      : inner_(std::move(inner)), bytes_(bytes) {}

  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  std::string backend() const override { return inner_->backend() + "+counting"; }

  void all_reduce(torch::Tensor& t, const AllReduceOptions& o) override {
    count_ring(t.nbytes(), 2);
    inner_->all_reduce(t, o);
  }
  std::unique_ptr<Work> start_all_reduce(torch::Tensor& t, const AllReduceOptions& o) override {
    count_ring(t.nbytes(), 2);
    return inner_->start_all_reduce(t, o);
  }
  torch::Tensor all_gather(const torch::Tensor& input, const CountsOptions& o) override {
    torch::Tensor out = inner_->all_gather(input, o);
    count_ring(out.nbytes(), 1);
    return out;
  }
  torch::Tensor reduce_scatter(const torch::Tensor& input, const CountsOptions& o) override {
    count_ring(input.nbytes(), 1);
    return inner_->reduce_scatter(input, o);
  }
  void broadcast(torch::Tensor& t, const BroadcastOptions& o) override {
    if (rank() == o.root && size() > 1) *bytes_ += t.nbytes();
    inner_->broadcast(t, o);
  }
  void send(const torch::Tensor& t, const PeerOptions& o) override {
    *bytes_ += t.nbytes();
    inner_->send(t, o);
  }
  void recv(torch::Tensor& t, const PeerOptions& o) override { inner_->recv(t, o); }
  void send_recv(const torch::Tensor& out, torch::Tensor& in, const PeerOptions& o) override {
    *bytes_ += out.nbytes();
    inner_->send_recv(out, in, o);
  }
  void barrier() override { inner_->barrier(); }
  std::unique_ptr<Communicator> split(const SplitOptions& o) override {
    return std::make_unique<CountingCommunicator>(inner_->split(o), bytes_);
  }

 private:
  void count_ring(size_t bytes, int passes) {
    const double p = size();
    *bytes_ += passes * (p - 1) / p * static_cast<double>(bytes);
  }

  std::unique_ptr<Communicator> inner_;
  double* bytes_;
};

}  // namespace tf::parallel::bench
