// Parity: a sharded run (tp, dp, tp x dp, ZeRO-1 on and off) matches the single-process run of the
// same config and seed, step by step and parameter by parameter. Every rank also computes the
// single-process reference itself (it is deterministic), so no reference data travels.
//
// Tolerance (fp32, 5 AdamW steps): losses agree to kLossRtol relative; parameters to kParamAtol
// absolute. Sources of difference are only reduction order (tp partial sums, dp averaging) and
// their propagation through AdamW's normalised update, which is at most lr per element per step.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/local_context.h"
#include "parallel/local_communicator.h"
#include "parallel/mesh_context.h"
#include "tests/mpi/mpi_env.h"
#include "tests/mpi/parity_run.h"

namespace tf::parallel::testing {
namespace {

constexpr double kLossRtol = 1e-6;
constexpr double kParamAtol = 2e-5;
constexpr int64_t kSteps = 5;

struct Layout {
  int64_t tp;
  bool zero1;
  bool recompute = false;  // train.activation_checkpointing: layer (the reference runs without)
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

void expect_parity(const std::string& norm, const std::vector<Layout>& layouts) {
  Communicator& comm = world();
  for (const Layout& layout : layouts) {
    Config config = parity_config(layout.tp, layout.zero1, norm);
    if (layout.recompute)
      config.train.activation_checkpointing = tf::ActivationCheckpointing::kLayer;
    const std::string what =
        "tp " + std::to_string(layout.tp) + " dp " + std::to_string(comm.size() / layout.tp) +
        (layout.zero1 ? " zero1" : "") + (layout.recompute ? " recompute" : "") + " " + norm;
    SCOPED_TRACE(what);
    LocalContext local;
    LocalCommunicator alone;
    const RunResult reference = train_steps(parity_config(1, false, norm), local, alone, kSteps);
    MeshContext context(comm, config, {/*bucket_bytes=*/16 << 10});  // several buckets
    const RunResult sharded = train_steps(config, context, context.tp_group(), kSteps);
    double loss_gap = 0, param_gap = 0;
    for (int64_t s = 0; s < kSteps; ++s) {
      loss_gap = std::max(loss_gap, std::abs(sharded.losses[s] / reference.losses[s] - 1));
    }
    for (size_t i = 0; i < reference.params.size() && i < sharded.params.size(); ++i) {
      if (sharded.params[i].sizes() != reference.params[i].sizes()) continue;
      param_gap =
          std::max(param_gap, (sharded.params[i] - reference.params[i]).abs().max().item<double>());
    }
    if (comm.rank() == 0) {
      std::printf("parity %s: max relative loss gap %.2e, max parameter gap %.2e\n", what.c_str(),
                  loss_gap, param_gap);
    }
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

TEST(Parity, L2NormGeluEveryLayout) { expect_parity("l2_norm_gelu", layouts_for(world().size())); }
// The other norms differ only in the token-parallel reductions: the widest tp layout covers them.
TEST(Parity, SoftmaxWidestTokenParallel) { expect_parity("softmax", {{world().size(), false}}); }
TEST(Parity, GeluL2NormWidestTokenParallel) {
  expect_parity("gelu_l2_norm", {{world().size(), false}});
}
// Recomputed blocks run their token-parallel collectives again in the backward pass, and their
// gradients reach the data-parallel buckets from inside it.
TEST(Parity, ActivationCheckpointingWidestTokenAndDataParallel) {
  expect_parity("l2_norm_gelu", {{world().size(), false, true}, {1, false, true}});
}

}  // namespace
}  // namespace tf::parallel::testing
