// Startup errors agreed over the world: every rank learns that some rank failed, only the lowest
// failing rank prints, and the line names the other failing ranks unless every rank failed.
#include <gtest/gtest.h>

#include "parallel/startup_agreement.h"
#include "tests/mpi/mpi_env.h"

namespace tf::parallel::testing {
namespace {

// agree_on_startup over the world with `fails(rank)` deciding which ranks throw; the AgreedError
// every rank then holds, or nullopt when none threw.
template <typename Fails>
std::optional<AgreedError> agreed(Fails fails) {
  const int r = world().rank();
  try {
    agree_on_startup(world(), [&] {
      if (fails(r)) throw Error("bad thing on rank " + std::to_string(r));
    });
  } catch (const AgreedError& e) {
    return e;
  }
  return std::nullopt;
}

TEST(StartupAgreement, NoFailureReturnsOnEveryRank) {
  EXPECT_FALSE(agreed([](int) { return false; }).has_value());
}

TEST(StartupAgreement, EveryRankFailingIsPrintedByRankZeroAlone) {
  const int r = world().rank();
  const auto e = agreed([](int) { return true; });
  ASSERT_TRUE(e.has_value()) << "rank " << r;
  EXPECT_EQ(e->prints_here(), r == 0) << "rank " << r;
  if (r == 0) {
    EXPECT_EQ(e->report("prog"), "prog: rank 0: error: bad thing on rank 0");
  }
}

TEST(StartupAgreement, TheLowestOfSomeFailingRanksPrintsNamingTheOthers) {
  const int r = world().rank(), p = world().size();
  // The last rank and, from 4 ranks on, the one before it; rank 0 only when it is alone.
  const auto fails = [p](int rank) { return rank == p - 1 || (p >= 4 && rank == p - 2); };
  const auto e = agreed(fails);
  ASSERT_TRUE(e.has_value()) << "rank " << r << " did not learn of the failure";
  const int lowest = p >= 4 ? p - 2 : p - 1;
  EXPECT_EQ(e->prints_here(), r == lowest) << "rank " << r;
  if (r != lowest) return;
  std::string expected = "prog: rank " + std::to_string(lowest) + ": error: bad thing on rank " +
                         std::to_string(lowest);
  if (p >= 4) expected += " (rank " + std::to_string(p - 1) + " failed as well)";
  EXPECT_EQ(e->report("prog"), expected);
}

TEST(StartupAgreement, OtherExceptionsPassThroughUnagreed) {
  // Every rank throws the same, so none waits for the others in the agreement it skips.
  EXPECT_THROW(agree_on_startup(world(), [] { throw std::runtime_error("bug"); }),
               std::runtime_error);
}

}  // namespace
}  // namespace tf::parallel::testing
