// Parity: a sharded run (tp, dp, tp x dp, ZeRO-1 on and off) matches the single-process run of the
// same config and seed, step by step and parameter by parameter. Every rank also computes the
// single-process reference itself (it is deterministic), so no reference data travels.
//
// Tolerance (fp32, 5 AdamW steps): losses agree to kLossRtol relative; parameters to kParamAtol
// absolute. Sources of difference are only reduction order (tp partial sums, dp averaging) and
// their propagation through AdamW's normalised update, which is at most lr per element per step.
#include <gtest/gtest.h>

#include "parallel/local_communicator.h"
#include "parallel/mesh_context.h"
#include "tests/mpi/mpi_env.h"
#include "tests/mpi/parity_run.h"

namespace tf::parallel::testing {
namespace {

constexpr double kLossRtol = 1e-5;
constexpr double kParamAtol = 2e-5;
constexpr int64_t kSteps = 5;

struct Layout {
  int64_t tp;
  bool zero1;
};

// Every layout the world size allows: pure tp, pure dp, and tp x dp when both exceed 1.
std::vector<Layout> layouts_for(int64_t world) {
  std::vector<Layout> out;
  for (int64_t tp = 1; tp <= world; tp *= 2) {
    if (world % tp != 0) continue;
    out.push_back({tp, false});
    out.push_back({tp, true});
  }
  return out;
}

void expect_parity(const std::string& norm) {
  Communicator& comm = world();
  for (const Layout& layout : layouts_for(comm.size())) {
    const Config config = parity_config(layout.tp, layout.zero1, norm);
    const std::string what = "tp " + std::to_string(layout.tp) + " dp " +
                             std::to_string(comm.size() / layout.tp) +
                             (layout.zero1 ? " zero1" : "") + " " + norm;
    SCOPED_TRACE(what);
    LocalContext local;
    LocalCommunicator alone;
    const RunResult reference = train_steps(parity_config(1, false, norm), local, alone, kSteps);
    MeshContext context(comm, config, /*bucket_bytes=*/16 << 10);  // several buckets
    const RunResult sharded = train_steps(config, context, context.tp_group(), kSteps);
    for (int64_t s = 0; s < kSteps; ++s) {
      EXPECT_NEAR(sharded.losses[s], reference.losses[s], kLossRtol * reference.losses[s])
          << what << ": rank " << comm.rank() << " step " << s + 1;
    }
    ASSERT_EQ(sharded.names, reference.names) << what << ": rank " << comm.rank();
    for (size_t i = 0; i < reference.params.size(); ++i) {
      expect_close(sharded.params[i], reference.params[i], what + " " + reference.names[i],
                   kParamAtol);
    }
  }
}

TEST(Parity, L2NormGeluEveryLayout) { expect_parity("l2_norm_gelu"); }
TEST(Parity, SoftmaxEveryLayout) { expect_parity("softmax"); }
TEST(Parity, GeluL2NormEveryLayout) { expect_parity("gelu_l2_norm"); }

}  // namespace
}  // namespace tf::parallel::testing
