// gtest main for multi-rank tests. Results are combined over ranks, so every rank exits with the
// same status; output of ranks other than 0 is kept (failures name their rank). A test that throws
// past gtest aborts the whole job rather than leaving peers blocked in a collective.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "parallel/world_sync.h"
#include "tests/mpi/mpi_env.h"

namespace tf::parallel::testing {
namespace {

const MpiRuntime* g_runtime = nullptr;
Communicator* g_world = nullptr;

}  // namespace

Communicator& world() { return *g_world; }
const MpiRuntime& runtime() { return *g_runtime; }

void expect_close(const torch::Tensor& actual, const torch::Tensor& expected,
                  const std::string& what, double atol, double rtol) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what << " on rank " << world().rank();
  const torch::Tensor a = actual.to(torch::kFloat64).reshape({-1});
  const torch::Tensor e = expected.to(torch::kFloat64).reshape({-1});
  const torch::Tensor bad = ((a - e).abs() > atol + rtol * e.abs()) | a.isnan();
  if (!bad.any().item<bool>()) return;
  const int64_t i = bad.nonzero()[0][0].item<int64_t>();
  ADD_FAILURE() << what << ": rank " << world().rank() << " index " << i << ": got "
                << a[i].item<double>() << ", expected " << e[i].item<double>() << " (atol " << atol
                << ", rtol " << rtol << "; " << bad.sum().item<int64_t>() << " of " << a.numel()
                << " elements differ)";
}

void expect_matching_parameters(const RunResult& actual, const RunResult& expected,
                                const std::string& what, double atol) {
  for (size_t i = 0; i < actual.names.size(); ++i) {
    const auto found = std::find(expected.names.begin(), expected.names.end(), actual.names[i]);
    ASSERT_NE(found, expected.names.end()) << what << ": rank " << world().rank() << " holds '"
                                           << actual.names[i] << "', which the reference lacks";
    expect_close(actual.params[i], expected.params[found - expected.names.begin()],
                 what + " " + actual.names[i], atol);
  }
}

SharedTempDir::SharedTempDir() {
  std::string name = "/tmp/tf_mpi_test_XXXXXX";
  if (world().rank() == 0 && mkdtemp(name.data()) == nullptr) name.clear();
  path_ = broadcast_bytes(world(), name);
}

SharedTempDir::~SharedTempDir() {
  world().barrier();
  std::error_code ignored;
  if (world().rank() == 0) std::filesystem::remove_all(path_, ignored);
}

}  // namespace tf::parallel::testing

int main(int argc, char** argv) {
  tf::parallel::MpiRuntime runtime(&argc, &argv);
  at::set_num_threads(1);
  int status = 0;
  try {
    auto world = runtime.world();
    tf::parallel::testing::g_runtime = &runtime;
    tf::parallel::testing::g_world = world.get();
    ::testing::InitGoogleTest(&argc, argv);
    torch::Tensor failed = torch::tensor({static_cast<int64_t>(RUN_ALL_TESTS() != 0)});
    world->all_reduce(failed, {tf::parallel::ReduceOp::kMax});
    status = static_cast<int>(failed.item<int64_t>());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: %s\n", runtime.world_rank(), e.what());
    runtime.abort(3);
  }
  return status;
}
