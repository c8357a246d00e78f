// Bounds the rate of one kind of log line (the control API's refusals), so that a flood of bad
// calls cannot flood the log: at most `max_lines` lines per window; the lines beyond are counted,
// and the next line let through carries that count. Any thread may call admit().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "core/log.h"

namespace tf::control {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `now`: the clock (tests inject their own).
  explicit LogLimiter(int64_t max_lines = 10, Clock::duration window = std::chrono::seconds(10),
                      std::function<Clock::time_point()> now = Clock::now);

  struct Admission {
    bool log = false;         // print this line
    int64_t suppressed = 0;   // with log: lines dropped since the last one printed
    double over_seconds = 0;  // with suppressed: seconds since the first of them
  };
  // Called once per line that wants printing.
  Admission admit();
  // The lines dropped since the last one printed (and forgets them), for a last report at the end.
  Admission take_suppressed();

 private:
  Admission drain(Clock::time_point now);  // mutex_ held

  const int64_t max_lines_;
  const Clock::duration window_;
  const std::function<Clock::time_point()> now_;
  std::mutex mutex_;
  Clock::time_point window_start_{};
  int64_t in_window_ = 0;
  int64_t suppressed_ = 0;
  Clock::time_point first_suppressed_{};
};

// One kind of line written through a LogLimiter: before the next line let through after some were
// dropped, and at destruction, "SOURCE: N NOUN lines suppressed in the last T s" (e.g. "control:
// 4183 refusal lines suppressed in the last 10 s"). Any thread may call line().
class LimitedLog {
 public:
  LimitedLog(const Logger& log, std::string source, std::string noun, int64_t max_lines = 10,
             LogLimiter::Clock::duration window = std::chrono::seconds(10),
             std::function<LogLimiter::Clock::time_point()> now = LogLimiter::Clock::now);
  ~LimitedLog();
  LimitedLog(const LimitedLog&) = delete;
  LimitedLog& operator=(const LimitedLog&) = delete;

  // `text`: the whole line.
  void line(const std::string& text);

 private:
  void report(const LogLimiter::Admission& admission) const;

  const Logger& log_;
  const std::string source_, noun_;
  LogLimiter limiter_;
};

}  // namespace tf::control
