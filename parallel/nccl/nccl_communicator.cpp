#include "parallel/nccl/nccl_communicator.h"

#include <c10/cuda/CUDAStream.h>

#include <mutex>
#include <set>
#include <thread>

#include "parallel/nccl/nccl_error.h"

namespace tf::parallel {
namespace {

using Clock = std::chrono::steady_clock;

// Every communicator not yet destroyed or aborted, for abort_all (another thread).
std::mutex live_mutex;
std::set<ncclComm_t> live;

// Removes `comm` from `live`; true when it was there (and so is still to be aborted or destroyed).
bool retire(ncclComm_t comm) {
  const std::lock_guard<std::mutex> lock(live_mutex);
  return live.erase(comm) > 0;
}

ncclDataType_t datatype_for(const Communicator& comm, const std::string& op, const torch::Tensor& t,
                            int device) {
  if (!t.defined() || !t.is_cuda() || t.get_device() != device || !t.is_contiguous()) {
    throw CommError(describe_call(comm, op, t) +
                    ": needs a defined, contiguous tensor on cuda:" + std::to_string(device));
  }
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return ncclFloat32;
    case torch::kFloat64:
      return ncclFloat64;
    case torch::kFloat16:
      return ncclFloat16;
    case torch::kBFloat16:
      return ncclBfloat16;
    case torch::kInt32:
      return ncclInt32;
    case torch::kInt64:
      return ncclInt64;
    case torch::kUInt8:
      return ncclUint8;
    default:
      throw CommError(describe_call(comm, op, t) + ": dtype not supported by NCCL");
  }
}

// The stream LibTorch's kernels for `device` run on; the caller made `device` current.
cudaStream_t torch_stream(int device) {
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream();
}

// Non-blocking communicators: creation, splits and group launches return at once and finish in
// the background, polled here (so a missing peer is a time-out, never a hang).
ncclConfig_t non_blocking_config() {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  return config;
}

ncclRedOp_t to_nccl(ReduceOp op) { return op == ReduceOp::kSum ? ncclSum : ncclMax; }

std::vector<int64_t> offsets_of(const std::vector<int64_t>& counts) {
  std::vector<int64_t> offsets(counts.size(), 0);
  for (size_t i = 1; i < counts.size(); ++i) offsets[i] = offsets[i - 1] + counts[i - 1];
  return offsets;
}

char* byte_ptr(const torch::Tensor& t, int64_t element_offset) {
  return static_cast<char*>(t.data_ptr()) + element_offset * t.element_size();
}

class NcclWork : public Work {
 public:
  NcclWork(NcclCommunicator& comm, cudaEvent_t done, torch::Tensor tensor, std::string what)
      : comm_(comm), done_(done), tensor_(std::move(tensor)), what_(std::move(what)) {}
  ~NcclWork() noexcept override {
    try {
      if (!finished_) comm_.wait_for(done_, what_);
    } catch (const CommError&) {
      // the communicator is aborted; the error was or will be reported by its next call
    }
    cudaEventDestroy(done_);
  }
  bool poll() override { return finished_ = finished_ || comm_.poll(done_, what_); }
  void wait() override {
    if (!finished_) comm_.wait_for(done_, what_);
    finished_ = true;
  }

 private:
  NcclCommunicator& comm_;
  cudaEvent_t done_;
  torch::Tensor tensor_;  // keeps the buffer alive while NCCL may write it
  std::string what_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<NcclCommunicator> NcclCommunicator::create(Communicator& bootstrap, int device,
                                                           std::chrono::milliseconds timeout) {
  const std::string what = describe_call(bootstrap, "nccl init", {});
  const auto context = [&] { return what; };
  ncclUniqueId id;
  if (bootstrap.rank() == 0) TF_NCCL_CHECK(ncclGetUniqueId(&id), context);
  torch::Tensor bytes = torch::from_blob(&id, {static_cast<int64_t>(sizeof(id))}, torch::kUInt8);
  bootstrap.broadcast(bytes, {0});
  TF_CUDA_CHECK(cudaSetDevice(device), context);
  ncclConfig_t config = non_blocking_config();
  ncclComm_t comm = nullptr;
  TF_NCCL_CHECK(ncclCommInitRankConfig(&comm, bootstrap.size(), id, bootstrap.rank(), &config),
                context);
  return adopt(comm, device, timeout, what);
}

std::unique_ptr<NcclCommunicator> NcclCommunicator::adopt(ncclComm_t comm, int device,
                                                          std::chrono::milliseconds timeout,
                                                          const std::string& what) {
  std::unique_ptr<NcclCommunicator> c(new NcclCommunicator(comm, device, timeout));
  c->settle(what);
  const auto context = [&] { return what; };
  TF_NCCL_CHECK(ncclCommUserRank(comm, &c->rank_), context);
  TF_NCCL_CHECK(ncclCommCount(comm, &c->size_), context);
  return c;
}

NcclCommunicator::NcclCommunicator(ncclComm_t comm, int device, std::chrono::milliseconds timeout)
    : comm_(comm), device_(device), timeout_(timeout) {
  {
    const std::lock_guard<std::mutex> lock(live_mutex);
    live.insert(comm_);
  }
  const auto what = [&] { return std::string("nccl communicator setup"); };
  TF_CUDA_CHECK(cudaSetDevice(device_), what);
  TF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), what);
  TF_CUDA_CHECK(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming), what);
  TF_CUDA_CHECK(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), what);
}

void NcclCommunicator::settle(const std::string& what) {
  const auto deadline = Clock::now() + timeout_;
  for (;;) {
    ncclResult_t state = ncclSuccess;
    const ncclResult_t query = ncclCommGetAsyncError(comm_, &state);
    if (query != ncclSuccess) state = query;
    if (state == ncclSuccess) return;
    if (state != ncclInProgress) {
      fail(what + ": " + ncclGetErrorString(state) + " (" + ncclGetLastError(comm_) + ")");
    }
    if (Clock::now() > deadline) {
      fail(what + ": not finished after " + std::to_string(timeout_.count()) +
           " ms (a peer is missing or stuck); communicator aborted");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

NcclCommunicator::~NcclCommunicator() noexcept {
  if (aborted_ || !retire(comm_)) {
    // already aborted by fail() or abort_all()
  } else if (cudaStreamQuery(stream_) == cudaSuccess) {
    ncclCommDestroy(comm_);
  } else {
    ncclCommAbort(comm_);  // work still pending: destroying could block forever
  }
  cudaEventDestroy(done_);
  cudaEventDestroy(ready_);
  cudaStreamDestroy(stream_);
}

void NcclCommunicator::check_usable(const std::string& what) const {
  if (aborted_)
    throw CommError(what + ": the NCCL communicator was aborted after an earlier error");
}

void NcclCommunicator::abort_all() noexcept {
  const std::lock_guard<std::mutex> lock(live_mutex);
  for (ncclComm_t comm : live) ncclCommAbort(comm);
  live.clear();
}

void NcclCommunicator::fail(const std::string& message) {
  if (!aborted_ && retire(comm_)) ncclCommAbort(comm_);
  aborted_ = true;
  throw CommError(message);
}

template <typename Launch>
void NcclCommunicator::enqueue(const std::string& what, cudaEvent_t done, Launch&& launch) {
  check_usable(what);
  const auto context = [&] { return what; };
  TF_CUDA_CHECK(cudaSetDevice(device_), context);
  TF_CUDA_CHECK(cudaEventRecord(ready_, torch_stream(device_)), context);
  TF_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_, 0), context);
  TF_NCCL_CHECK(ncclGroupStart(), context);
  launch();
  TF_NCCL_CHECK(ncclGroupEnd(), context);
  settle(what);  // the launch is on the stream only once the group has finished enqueueing
  TF_CUDA_CHECK(cudaEventRecord(done, stream_), context);
}

bool NcclCommunicator::poll(cudaEvent_t done, const std::string& what) {
  check_usable(what);
  const cudaError_t state = cudaEventQuery(done);
  if (state == cudaSuccess) return true;
  if (state != cudaErrorNotReady) {
    fail(what + ": CUDA error while waiting: " + cudaGetErrorString(state));
  }
  ncclResult_t async = ncclSuccess;
  ncclCommGetAsyncError(comm_, &async);
  if (async != ncclSuccess && async != ncclInProgress) {
    fail(what + ": NCCL asynchronous error: " + ncclGetErrorString(async));
  }
  return false;
}

void NcclCommunicator::wait_for(cudaEvent_t done, const std::string& what) {
  const auto deadline = Clock::now() + timeout_;
  while (!poll(done, what)) {
    if (Clock::now() > deadline) {
      fail(what + ": timed out after " + std::to_string(timeout_.count()) +
           " ms (a peer is missing or stuck); communicator aborted");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

void NcclCommunicator::all_reduce(torch::Tensor& tensor, const AllReduceOptions& options) {
  const std::string what = describe_call(*this, "all_reduce", tensor);
  const ncclDataType_t type = datatype_for(*this, "all_reduce", tensor, device_);
  enqueue(what, done_, [&] {
    TF_NCCL_CHECK(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), type,
                                to_nccl(options.op), comm_, stream_),
                  [&] { return what; });
  });
  wait_for(done_, what);
}

std::unique_ptr<Work> NcclCommunicator::start_all_reduce(torch::Tensor& tensor,
                                                         const AllReduceOptions& options) {
  const std::string what = describe_call(*this, "start_all_reduce", tensor);
  const ncclDataType_t type = datatype_for(*this, "start_all_reduce", tensor, device_);
  cudaEvent_t done = nullptr;
  TF_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), [&] { return what; });
  auto work = std::make_unique<NcclWork>(*this, done, tensor, what);
  enqueue(what, done, [&] {
    TF_NCCL_CHECK(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), type,
                                to_nccl(options.op), comm_, stream_),
                  [&] { return what; });
  });
  return work;
}

torch::Tensor NcclCommunicator::all_gather(const torch::Tensor& input,
                                           const CountsOptions& options) {
  const std::string what = describe_call(*this, "all_gather", input);
  const ncclDataType_t type = datatype_for(*this, "all_gather", input, device_);
  const std::vector<int64_t> counts = gather_counts(*this, input, options);
  const std::vector<int64_t> offsets = offsets_of(counts);
  torch::Tensor output = torch::empty({offsets.back() + counts.back()}, input.options());
  // Uneven counts: one broadcast per source rank inside a group (NCCL has no all-gather-v).
  enqueue(what, done_, [&] {
    for (int r = 0; r < size_; ++r) {
      TF_NCCL_CHECK(ncclBroadcast(input.data_ptr(), byte_ptr(output, offsets[r]), counts[r], type,
                                  r, comm_, stream_),
                    [&] { return what; });
    }
  });
  wait_for(done_, what);
  return output;
}

torch::Tensor NcclCommunicator::reduce_scatter(const torch::Tensor& input,
                                               const CountsOptions& options) {
  const std::string what = describe_call(*this, "reduce_scatter", input);
  const ncclDataType_t type = datatype_for(*this, "reduce_scatter", input, device_);
  const std::vector<int64_t> counts =
      resolve_counts(*this, "reduce_scatter", input.numel(), options);
  const std::vector<int64_t> offsets = offsets_of(counts);
  torch::Tensor output = torch::empty({counts[rank_]}, input.options());
  // Uneven counts: one reduce per destination rank inside a group.
  enqueue(what, done_, [&] {
    for (int r = 0; r < size_; ++r) {
      TF_NCCL_CHECK(ncclReduce(byte_ptr(input, offsets[r]), output.data_ptr(), counts[r], type,
                               ncclSum, r, comm_, stream_),
                    [&] { return what; });
    }
  });
  wait_for(done_, what);
  return output;
}

void NcclCommunicator::broadcast(torch::Tensor& tensor, const BroadcastOptions& options) {
  const std::string what = describe_call(*this, "broadcast", tensor);
  const ncclDataType_t type = datatype_for(*this, "broadcast", tensor, device_);
  enqueue(what, done_, [&] {
    TF_NCCL_CHECK(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), type,
                                options.root, comm_, stream_),
                  [&] { return what; });
  });
  wait_for(done_, what);
}

void NcclCommunicator::send(const torch::Tensor& tensor, const PeerOptions& options) {
  const std::string what = describe_call(*this, "send to " + std::to_string(options.peer), tensor);
  const ncclDataType_t type = datatype_for(*this, "send", tensor, device_);
  enqueue(what, done_, [&] {
    TF_NCCL_CHECK(ncclSend(tensor.data_ptr(), tensor.numel(), type, options.peer, comm_, stream_),
                  [&] { return what; });
  });
  wait_for(done_, what);
}

void NcclCommunicator::recv(torch::Tensor& tensor, const PeerOptions& options) {
  const std::string what =
      describe_call(*this, "recv from " + std::to_string(options.peer), tensor);
  const ncclDataType_t type = datatype_for(*this, "recv", tensor, device_);
  enqueue(what, done_, [&] {
    TF_NCCL_CHECK(ncclRecv(tensor.data_ptr(), tensor.numel(), type, options.peer, comm_, stream_),
                  [&] { return what; });
  });
  wait_for(done_, what);
}

void NcclCommunicator::send_recv(const torch::Tensor& out, torch::Tensor& in,
                                 const PeerOptions& options) {
  const std::string what =
      describe_call(*this, "send_recv with " + std::to_string(options.peer), out);
  const ncclDataType_t out_type = datatype_for(*this, "send_recv", out, device_);
  const ncclDataType_t in_type = datatype_for(*this, "send_recv", in, device_);
  enqueue(what, done_, [&] {  // one group: both directions progress together
    TF_NCCL_CHECK(ncclSend(out.data_ptr(), out.numel(), out_type, options.peer, comm_, stream_),
                  [&] { return what; });
    TF_NCCL_CHECK(ncclRecv(in.data_ptr(), in.numel(), in_type, options.peer, comm_, stream_),
                  [&] { return what; });
  });
  wait_for(done_, what);
}

void NcclCommunicator::barrier() {
  torch::Tensor token =
      torch::zeros({1}, torch::dtype(torch::kFloat32).device(torch::kCUDA, device_));
  all_reduce(token, {});
}

std::unique_ptr<Communicator> NcclCommunicator::split(const SplitOptions& options) {
  const std::string what =
      describe_call(*this, "split(color " + std::to_string(options.color) + ")", {});
  check_usable(what);
  ncclConfig_t config = non_blocking_config();
  ncclComm_t sub = nullptr;
  TF_NCCL_CHECK(ncclCommSplit(comm_, options.color, options.key, &sub, &config),
                [&] { return what; });
  settle(what);
  return adopt(sub, device_, timeout_, what);
}

}  // namespace tf::parallel
