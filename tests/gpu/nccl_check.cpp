// NCCL check for the GPU machine (tests/gpu/run.sh): every collective of NcclCommunicator on CUDA
// tensors against closed-form values written for any world size (so the same binary also checks
// several ranks where several GPUs exist), then training through MeshContext on CUDA, whose groups
// are NCCL communicators, with the gradient buckets (even for one replica) and with ZeRO-1,
// against the single-process CPU run of the same config. Exit status 0 only if all pass.
#include <torch/torch.h>

#include <cstdio>
#include <string>

#include <cmath>

#include "core/local_context.h"
#include "parallel/communicator_factory.h"
#include "parallel/local_communicator.h"
#include "parallel/mesh_context.h"
#include "parallel/mpi_runtime.h"
#include "parallel/rank_main.h"
#include "tests/mpi/parity_run.h"

namespace {

using tf::parallel::Communicator;

int failures = 0;

void check(const std::string& what, const torch::Tensor& actual, const torch::Tensor& expected,
           int rank) {
  const bool ok = actual.cpu().to(torch::kFloat64).equal(expected.to(torch::kFloat64));
  std::printf("%s rank %d %s\n", ok ? "PASS" : "FAIL", rank, what.c_str());
  if (!ok) ++failures;
}

void run_checks(Communicator& comm, int device) {
  const auto cuda = torch::TensorOptions().device(torch::kCUDA, device);
  const int64_t r = comm.rank(), p = comm.size(), tri = p * (p + 1) / 2;
  for (auto dtype : {torch::kFloat32, torch::kBFloat16, torch::kInt64}) {
    torch::Tensor x = (torch::arange(1, 14, cuda.dtype(torch::kInt64)) * (r + 1)).to(dtype);
    comm.all_reduce(x, {});
    check(std::string("all_reduce(sum) ") + c10::toString(dtype), x,
          torch::arange(1, 14, torch::kInt64) * tri, r);
  }
  torch::Tensor m = torch::full({5}, double(r), cuda.dtype(torch::kFloat32));
  comm.all_reduce(m, {tf::parallel::ReduceOp::kMax});
  check("all_reduce(max)", m, torch::full({5}, double(p - 1)), r);
  torch::Tensor a = torch::full({1 << 20}, 1.0, cuda.dtype(torch::kFloat32));
  comm.start_all_reduce(a, {})->wait();
  check("start_all_reduce 4 MiB", a, torch::full({1 << 20}, double(p)), r);
  tf::parallel::CountsOptions counts;
  torch::Tensor expected_gather = torch::empty({0}, torch::kFloat32);
  for (int64_t q = 0; q < p; ++q) {
    counts.counts.push_back(q + 1);
    expected_gather =
        torch::cat({expected_gather, torch::arange(0, q + 1, torch::kFloat32) + 100 * q});
  }
  check("all_gather uneven",
        comm.all_gather(torch::arange(0, r + 1, cuda.dtype(torch::kFloat32)) + 100 * r, counts),
        expected_gather, r);
  const int64_t total = p * (p + 1) / 2;
  int64_t offset = 0;
  for (int64_t q = 0; q < r; ++q) offset += q + 1;
  check("reduce_scatter uneven",
        comm.reduce_scatter(torch::arange(0, total, cuda.dtype(torch::kFloat64)) * (r + 1), counts),
        torch::arange(offset, offset + r + 1, torch::kFloat64) * tri, r);
  torch::Tensor b = r == 0 ? torch::arange(0, 7, cuda.dtype(torch::kInt32))
                           : torch::zeros({7}, cuda.dtype(torch::kInt32));
  comm.broadcast(b, {0});
  check("broadcast", b, torch::arange(0, 7, torch::kInt32), r);
  auto sub = comm.split({static_cast<int>(r % 2), 0});
  torch::Tensor s = torch::full({3}, 1.0, cuda.dtype(torch::kFloat32));
  sub->all_reduce(s, {});
  check("split by parity", s, torch::full({3}, double(sub->size())), r);
  comm.barrier();
}

// The losses of the CUDA run through NCCL equal the CPU run's within kLossRtol (fp32: only the
// kernels' summation order differs; cuBLAS does not use TF32 unless asked).
constexpr double kLossRtol = 1e-4;
constexpr int64_t kSteps = 5;

void check_training(Communicator& mpi_world) {
  using tf::parallel::testing::parity_config;
  using tf::parallel::testing::train_steps;
  tf::LocalContext local;
  tf::parallel::LocalCommunicator alone;
  tf::Config reference_config = parity_config(1, false);
  reference_config.train.device = tf::DeviceSetting::kCpu;
  const auto reference = train_steps(reference_config, local, alone, kSteps);
  for (const bool zero1 : {false, true}) {
    tf::Config config = parity_config(1, zero1);
    config.train.device = tf::DeviceSetting::kCuda;
    tf::parallel::MeshOptions options;
    options.bucket_bytes = 16 << 10;  // several buckets
    options.buckets_for_one_replica = true;
    tf::parallel::MeshContext context(mpi_world, config, options);
    const auto run = train_steps(config, context, context.tp_group(), kSteps);
    double gap = 0;
    for (int64_t s = 0; s < kSteps; ++s) {
      gap = std::max(gap, std::abs(run.losses[s] / reference.losses[s] - 1));
    }
    const bool ok = gap <= kLossRtol && context.device().is_cuda() &&
                    context.tp_group().backend() == "nccl" &&
                    (zero1 || context.gradient_bytes_reduced() > 0);
    std::printf(
        "%s rank %d training on %s through %s%s: %lld steps, max relative loss gap "
        "%.2e, %lld gradient bytes through the buckets\n",
        ok ? "PASS" : "FAIL", static_cast<int>(mpi_world.rank()), context.device().str().c_str(),
        context.tp_group().backend().c_str(), zero1 ? " (ZeRO-1)" : "",
        static_cast<long long>(kSteps), gap,
        static_cast<long long>(context.gradient_bytes_reduced()));
    if (!ok) ++failures;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const tf::parallel::MpiRuntime runtime(&argc, &argv);
  return tf::parallel::run_rank(runtime, "tf_nccl_check", [&] {
    const int device = 0;  // one GPU per node in the GPU check
    auto comm =
        tf::parallel::make_world_communicator(tf::parallel::Backend::kNccl, runtime, device);
    run_checks(*comm, device);
    check_training(*runtime.world());
    std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
  });
}
