// The one communicator interface of the project (SPEC.md section 5, DESIGN.md Parallelism).
// Backends: LocalCommunicator (one process), MpiCommunicator (CPU tensors), NcclCommunicator (CUDA
// tensors, parallel/nccl/). Collectives are blocking unless named start_*; every rank of the group
// must call the same collectives in the same order with matching sizes. Tensors must be contiguous.
// Failures throw CommError (a collective that cannot be completed is never retried). One thread at
// a time may use a communicator; sub-communicators from split() are independent objects.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tf::parallel {

enum class ReduceOp { kSum, kMax };

struct AllReduceOptions {
  ReduceOp op = ReduceOp::kSum;
};

// Element counts per rank for uneven all_gather / reduce_scatter; empty means equal shares.
struct CountsOptions {
  std::vector<int64_t> counts;
};

struct BroadcastOptions {
  int root = 0;
};

// `tag` is matched by MPI; NCCL matches point-to-point messages between two ranks in issue order.
struct PeerOptions {
  int peer = 0;
  int tag = 0;
};

// Ranks with equal color form one sub-group, ordered by (key, old rank).
struct SplitOptions {
  int color = 0;
  int key = 0;
};

// A failed collective: the message names backend, rank, op, dtype and sizes, and the library's own
// error text.
class CommError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A started collective. wait() blocks until done (or throws CommError); poll() lets a backend make
// progress without blocking and returns true once complete. Destroying an unfinished Work waits.
class Work {
 public:
  virtual ~Work() = default;
  virtual bool poll() = 0;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "mpi", "nccl" or "local", for messages.
  virtual std::string backend() const = 0;

  // In place: every rank ends with the elementwise reduction over the group.
  virtual void all_reduce(torch::Tensor& tensor, const AllReduceOptions& options = {}) = 0;
  // Starts an in-place all-reduce; `tensor` must stay alive and untouched until the Work is done.
  virtual std::unique_ptr<Work> start_all_reduce(torch::Tensor& tensor,
                                                 const AllReduceOptions& options = {}) = 0;
  // Flattened concatenation of every rank's `input` in rank order (1-D result).
  virtual torch::Tensor all_gather(const torch::Tensor& input,
                                   const CountsOptions& options = {}) = 0;
  // Sum over the group of the flat `input`, of which this rank receives its own count (1-D result).
  virtual torch::Tensor reduce_scatter(const torch::Tensor& input,
                                       const CountsOptions& options = {}) = 0;
  // In place: `tensor` of the root is copied to every rank.
  virtual void broadcast(torch::Tensor& tensor, const BroadcastOptions& options = {}) = 0;
  // Point to point: any dtype (bytes travel as they are).
  virtual void send(const torch::Tensor& tensor, const PeerOptions& options) = 0;
  // Receives into `tensor`, whose size must match what the peer sends.
  virtual void recv(torch::Tensor& tensor, const PeerOptions& options) = 0;
  // Sends `out` to the peer and receives `in` from it at once: two ranks sending to each other
  // (pipeline ranks in the steady state of 1F1B) would deadlock with blocking send then recv.
  virtual void send_recv(const torch::Tensor& out, torch::Tensor& in,
                         const PeerOptions& options) = 0;
  virtual void barrier() = 0;
  // Collective over this group; the caller owns the returned sub-communicator.
  virtual std::unique_ptr<Communicator> split(const SplitOptions& options) = 0;
};

// reduce_scatter: the counts checked against the group and `total`, or equal shares of `total`
// (which must then divide evenly). Throws CommError naming `op` otherwise.
std::vector<int64_t> resolve_counts(const Communicator& comm, const char* op, int64_t total,
                                    const CountsOptions& options);
// all_gather: the counts checked against the group and this rank's input, or the input's numel
// for every rank. Throws CommError otherwise.
std::vector<int64_t> gather_counts(const Communicator& comm, const torch::Tensor& input,
                                   const CountsOptions& options);
// "op all_reduce(sum) on rank 1/4 [mpi], dtype float32, numel 12" style context for messages.
std::string describe_call(const Communicator& comm, const std::string& op,
                          const torch::Tensor& tensor);

}  // namespace tf::parallel
