// The log's number formatting and the pacing of progress lines.
#include <gtest/gtest.h>

#include "core/log.h"

namespace tf {
namespace {

TEST(Log, CountsHaveCommasAndPlurals) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(151881216), "151,881,216");
  EXPECT_EQ(with_commas(-1234567), "-1,234,567");
  EXPECT_EQ(count_of(1, "rank"), "1 rank");
  EXPECT_EQ(count_of(0, "rank"), "0 ranks");
  EXPECT_EQ(count_of(2500, "document"), "2,500 documents");
}

TEST(Log, ProgressLinesArePaced) {
  ProgressPace slow(3600);
  EXPECT_FALSE(slow.due());  // nothing before the first interval has passed
  ProgressPace every_time(0);
  EXPECT_TRUE(every_time.due());
  EXPECT_TRUE(every_time.due());
  EXPECT_GE(every_time.elapsed_seconds(), 0.0);
}

}  // namespace
}  // namespace tf
