#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "launcher/control/log_limiter.h"

namespace tf::control {
namespace {

using std::chrono::seconds;

struct FakeClock {
  LogLimiter::Clock::time_point now{};
  std::function<LogLimiter::Clock::time_point()> function() {
    return [this] { return now; };
  }
};

TEST(LogLimiter, LetsTheFirstLinesOfAWindowThroughAndCountsTheRest) {
  FakeClock clock;
  LogLimiter limiter(3, seconds(10), clock.function());
  for (int i = 0; i < 3; ++i) {
    const LogLimiter::Admission a = limiter.admit();
    EXPECT_TRUE(a.log) << i;
    EXPECT_EQ(a.suppressed, 0) << i;
  }
  clock.now += seconds(2);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.admit().log) << i;
  clock.now += seconds(7);  // 9 s into the window: still closed
  EXPECT_FALSE(limiter.admit().log);
  clock.now += seconds(1);  // 10 s: a new window; the first line carries the count
  const LogLimiter::Admission next = limiter.admit();
  EXPECT_TRUE(next.log);
  EXPECT_EQ(next.suppressed, 6);
  EXPECT_DOUBLE_EQ(next.over_seconds, 8.0);  // since the first suppressed line, at 2 s
  const LogLimiter::Admission after = limiter.admit();
  EXPECT_TRUE(after.log);
  EXPECT_EQ(after.suppressed, 0);  // reported once
}

TEST(LogLimiter, TakeSuppressedReportsWhatNoLaterLineCarried) {
  FakeClock clock;
  LogLimiter limiter(1, seconds(10), clock.function());
  EXPECT_TRUE(limiter.admit().log);
  EXPECT_FALSE(limiter.admit().log);
  EXPECT_FALSE(limiter.admit().log);
  clock.now += seconds(4);
  const LogLimiter::Admission rest = limiter.take_suppressed();
  EXPECT_EQ(rest.suppressed, 2);
  EXPECT_DOUBLE_EQ(rest.over_seconds, 4.0);
  EXPECT_EQ(limiter.take_suppressed().suppressed, 0);
}

TEST(LogLimiter, ManyThreadsGetExactlyTheWindowsLines) {
  FakeClock clock;  // never advances: one window
  LogLimiter limiter(10, seconds(10), clock.function());
  std::atomic<int64_t> logged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) logged += limiter.admit().log ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(logged.load(), 10);
  EXPECT_EQ(limiter.take_suppressed().suppressed, 8000 - 10);
}

}  // namespace
}  // namespace tf::control
