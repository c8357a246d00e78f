#include "parallel/mpi_communicator.h"

#include <climits>

#include "parallel/mpi_error.h"

namespace tf::parallel {
namespace {

const char* op_name(ReduceOp op) { return op == ReduceOp::kSum ? "sum" : "max"; }

MPI_Op to_mpi(ReduceOp op) { return op == ReduceOp::kSum ? MPI_SUM : MPI_MAX; }

// Validates the tensor for `op` and returns its MPI datatype.
MPI_Datatype datatype_for(const Communicator& comm, const std::string& op, const torch::Tensor& t) {
  if (!t.defined() || !t.device().is_cpu() || !t.is_contiguous()) {
    throw CommError(describe_call(comm, op, t) + ": needs a defined, contiguous CPU tensor");
  }
  if (t.numel() > INT_MAX)
    throw CommError(describe_call(comm, op, t) + ": more than INT_MAX elements");
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return MPI_FLOAT;
    case torch::kFloat64:
      return MPI_DOUBLE;
    case torch::kInt32:
      return MPI_INT32_T;
    case torch::kInt64:
      return MPI_INT64_T;
    case torch::kUInt8:
      return MPI_UINT8_T;
    default:
      throw CommError(describe_call(comm, op, t) + ": dtype not supported by the MPI backend");
  }
}

// Point-to-point messages travel as bytes (bf16 activations included); returns their count.
int peer_bytes(const Communicator& comm, const std::string& op, const torch::Tensor& t) {
  if (!t.defined() || !t.device().is_cpu() || !t.is_contiguous()) {
    throw CommError(describe_call(comm, op, t) + ": needs a defined, contiguous CPU tensor");
  }
  if (t.nbytes() > static_cast<size_t>(INT_MAX)) {
    throw CommError(describe_call(comm, op, t) + ": more than INT_MAX bytes in one message");
  }
  return static_cast<int>(t.nbytes());
}

template <typename What>
void check_received(MPI_Status& status, int expected, const What& what) {
  int received = 0;
  MPI_Get_count(&status, MPI_BYTE, &received);
  if (received != expected) {
    throw CommError(what() + ": received " + std::to_string(received) + " bytes, expected " +
                    std::to_string(expected));
  }
}

std::vector<int> displacements(const std::vector<int>& counts) {
  std::vector<int> displs(counts.size(), 0);
  for (size_t i = 1; i < counts.size(); ++i) displs[i] = displs[i - 1] + counts[i - 1];
  return displs;
}

std::vector<int> to_int(const std::vector<int64_t>& counts) {
  return std::vector<int>(counts.begin(), counts.end());
}

class MpiWork : public Work {
 public:
  MpiWork(MPI_Request request, torch::Tensor tensor, std::string what)
      : request_(request), tensor_(std::move(tensor)), what_(std::move(what)) {}
  ~MpiWork() noexcept override {
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  bool poll() override {
    int done = 0;
    mpi_check(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), [&] { return what_; });
    return done != 0;
  }
  void wait() override {
    mpi_check(MPI_Wait(&request_, MPI_STATUS_IGNORE), [&] { return what_; });
  }

 private:
  MPI_Request request_;
  torch::Tensor tensor_;  // keeps the buffer alive while MPI may write it
  std::string what_;
};

}  // namespace

std::unique_ptr<MpiCommunicator> MpiCommunicator::duplicate(MPI_Comm comm) {
  MPI_Comm copy = MPI_COMM_NULL;
  mpi_check(MPI_Comm_dup(comm, &copy), [] { return std::string("MPI_Comm_dup"); });
  return std::unique_ptr<MpiCommunicator>(new MpiCommunicator(copy));
}

MpiCommunicator::MpiCommunicator(MPI_Comm owned) : comm_(owned) {
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiCommunicator::~MpiCommunicator() noexcept {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&comm_);
}

void MpiCommunicator::all_reduce(torch::Tensor& tensor, const AllReduceOptions& options) {
  const std::string op = std::string("all_reduce(") + op_name(options.op) + ")";
  const MPI_Datatype type = datatype_for(*this, op, tensor);
  mpi_check(MPI_Allreduce(MPI_IN_PLACE, tensor.data_ptr(), static_cast<int>(tensor.numel()), type,
                          to_mpi(options.op), comm_),
            [&] { return describe_call(*this, op, tensor); });
}

std::unique_ptr<Work> MpiCommunicator::start_all_reduce(torch::Tensor& tensor,
                                                        const AllReduceOptions& options) {
  const std::string op = std::string("start_all_reduce(") + op_name(options.op) + ")";
  const MPI_Datatype type = datatype_for(*this, op, tensor);
  MPI_Request request = MPI_REQUEST_NULL;
  mpi_check(MPI_Iallreduce(MPI_IN_PLACE, tensor.data_ptr(), static_cast<int>(tensor.numel()), type,
                           to_mpi(options.op), comm_, &request),
            [&] { return describe_call(*this, op, tensor); });
  return std::make_unique<MpiWork>(request, tensor, describe_call(*this, op, tensor));
}

torch::Tensor MpiCommunicator::all_gather(const torch::Tensor& input,
                                          const CountsOptions& options) {
  const MPI_Datatype type = datatype_for(*this, "all_gather", input);
  const std::vector<int> counts = to_int(gather_counts(*this, input, options));
  const std::vector<int> displs = displacements(counts);
  torch::Tensor output = torch::empty({displs.back() + counts.back()}, input.options());
  mpi_check(MPI_Allgatherv(input.data_ptr(), static_cast<int>(input.numel()), type,
                           output.data_ptr(), counts.data(), displs.data(), type, comm_),
            [&] { return describe_call(*this, "all_gather", input); });
  return output;
}

torch::Tensor MpiCommunicator::reduce_scatter(const torch::Tensor& input,
                                              const CountsOptions& options) {
  const MPI_Datatype type = datatype_for(*this, "reduce_scatter", input);
  const std::vector<int> counts =
      to_int(resolve_counts(*this, "reduce_scatter", input.numel(), options));
  torch::Tensor output = torch::empty({counts[rank_]}, input.options());
  mpi_check(
      MPI_Reduce_scatter(input.data_ptr(), output.data_ptr(), counts.data(), type, MPI_SUM, comm_),
      [&] { return describe_call(*this, "reduce_scatter", input); });
  return output;
}

void MpiCommunicator::broadcast(torch::Tensor& tensor, const BroadcastOptions& options) {
  const MPI_Datatype type = datatype_for(*this, "broadcast", tensor);
  mpi_check(
      MPI_Bcast(tensor.data_ptr(), static_cast<int>(tensor.numel()), type, options.root, comm_),
      [&] {
        return describe_call(*this, "broadcast from " + std::to_string(options.root), tensor);
      });
}

void MpiCommunicator::send(const torch::Tensor& tensor, const PeerOptions& options) {
  const int bytes = peer_bytes(*this, "send", tensor);
  mpi_check(MPI_Send(tensor.data_ptr(), bytes, MPI_BYTE, options.peer, options.tag, comm_), [&] {
    return describe_call(*this, "send to " + std::to_string(options.peer), tensor);
  });
}

void MpiCommunicator::recv(torch::Tensor& tensor, const PeerOptions& options) {
  const int bytes = peer_bytes(*this, "recv", tensor);
  const auto what = [&] {
    return describe_call(*this, "recv from " + std::to_string(options.peer), tensor);
  };
  MPI_Status status;
  mpi_check(MPI_Recv(tensor.data_ptr(), bytes, MPI_BYTE, options.peer, options.tag, comm_, &status),
            what);
  check_received(status, bytes, what);
}

void MpiCommunicator::send_recv(const torch::Tensor& out, torch::Tensor& in,
                                const PeerOptions& options) {
  const int out_bytes = peer_bytes(*this, "send_recv", out);
  const int in_bytes = peer_bytes(*this, "send_recv", in);
  const auto what = [&] {
    return describe_call(*this, "send_recv with " + std::to_string(options.peer), out);
  };
  MPI_Status status;
  mpi_check(
      MPI_Sendrecv(out.data_ptr(), out_bytes, MPI_BYTE, options.peer, options.tag, in.data_ptr(),
                   in_bytes, MPI_BYTE, options.peer, options.tag, comm_, &status),
      what);
  check_received(status, in_bytes, what);
}

void MpiCommunicator::barrier() {
  mpi_check(MPI_Barrier(comm_), [&] { return describe_call(*this, "barrier", {}); });
}

std::unique_ptr<Communicator> MpiCommunicator::split(const SplitOptions& options) {
  MPI_Comm sub = MPI_COMM_NULL;
  mpi_check(MPI_Comm_split(comm_, options.color, options.key, &sub), [&] {
    return describe_call(*this, "split(color " + std::to_string(options.color) + ")", {});
  });
  return std::unique_ptr<Communicator>(new MpiCommunicator(sub));
}

}  // namespace tf::parallel
