// The single-process context and the parts it is made of: what it does not implement fails loudly,
// and the one gradient-norm function adds its parts up over the groups it is given.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "checkpoint_test_util.h"
#include "core/error.h"
#include "core/grad_norm.h"
#include "core/local_context.h"

namespace tf {
namespace {

TEST(LocalContext, ExchangeWithAnotherPipelineRankNamesContextAndOperation) {
  LocalContext context;
  const std::string message = testing::error_of(
      [&] { context.exchange_with_pp_rank(1, torch::zeros({2}), torch::Tensor()); });
  EXPECT_NE(message.find("LocalContext"), std::string::npos) << message;
  EXPECT_NE(message.find("exchange_with_pp_rank(1)"), std::string::npos) << message;
}

TEST(LocalContext, PlainDataParallelHasNoOptimizerStateToExport) {
  LocalContext context;
  GradientSync& sync = context.gradient_sync();
  EXPECT_FALSE(sync.owns_optimizer_state());
  torch::optim::AdamW optimizer(
      std::vector<torch::Tensor>{torch::zeros({1}, torch::requires_grad())});
  const std::string message = testing::error_of([&] { sync.export_optimizer_state(optimizer); });
  EXPECT_NE(message.find("data parallel"), std::string::npos) << message;
  EXPECT_NE(message.find("export_optimizer_state"), std::string::npos) << message;
}

torch::Tensor fp64(double value) { return torch::tensor({value}, torch::kFloat64); }

// Sums over two ranks that hold the same values: doubles.
const NormGroups kTwoRanks{[](torch::Tensor& t) { t.mul_(2); },
                           [](torch::Tensor& t) { t.mul_(2); }};
const NormGroups kOneRank{[](torch::Tensor&) {}, [](torch::Tensor&) {}};

TEST(GradNorm, SumsTokenShardsOverTpThenEverythingOverPp) {
  // (2 x 9 + 16) x 2 = 68.
  const double norm = clip_to_global_norm({fp64(9), fp64(16)}, kTwoRanks, 0, {});
  EXPECT_DOUBLE_EQ(norm, std::sqrt(68.0));
}

TEST(GradNorm, ClipsEveryGradientToTheLimit) {
  const torch::Tensor a = torch::full({3}, 2.0), b = torch::full({2}, -1.0);
  const double norm = clip_to_global_norm({fp64(9), fp64(16)}, kOneRank, 1.0, {a, b, {}});
  EXPECT_DOUBLE_EQ(norm, 5.0);
  const double factor = 1.0 / (5.0 + 1e-6);
  EXPECT_TRUE(torch::equal(a, torch::full({3}, 2.0) * factor));
  EXPECT_TRUE(torch::equal(b, torch::full({2}, -1.0) * factor));
}

TEST(GradNorm, LeavesGradientsBelowTheLimitOrWithoutOne) {
  const torch::Tensor a = torch::full({3}, 2.0);
  EXPECT_DOUBLE_EQ(clip_to_global_norm({fp64(9), fp64(16)}, kOneRank, 5.0, {a}), 5.0);
  EXPECT_DOUBLE_EQ(clip_to_global_norm({fp64(9), fp64(16)}, kOneRank, 0.0, {a}), 5.0);
  EXPECT_TRUE(torch::equal(a, torch::full({3}, 2.0)));
}

}  // namespace
}  // namespace tf
