#include "launcher/control/log_limiter.h"

#include <algorithm>
#include <cmath>

namespace tf::control {

LogLimiter::LogLimiter(int64_t max_lines, Clock::duration window,
                       std::function<Clock::time_point()> now)
    : max_lines_(max_lines), window_(window), now_(std::move(now)) {}

LogLimiter::Admission LogLimiter::drain(Clock::time_point now) {
  Admission admission;
  admission.suppressed = suppressed_;
  if (suppressed_ > 0) {
    admission.over_seconds = std::chrono::duration<double>(now - first_suppressed_).count();
  }
  suppressed_ = 0;
  return admission;
}

LogLimiter::Admission LogLimiter::admit() {
  const Clock::time_point now = now_();
  const std::lock_guard<std::mutex> lock(mutex_);
  // Fixed windows, each opened by the first line after the previous one closed.
  if (in_window_ == 0 || now - window_start_ >= window_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= max_lines_) {
    if (suppressed_++ == 0) first_suppressed_ = now;
    return {};
  }
  ++in_window_;
  Admission admission = drain(now);
  admission.log = true;
  return admission;
}

LogLimiter::Admission LogLimiter::take_suppressed() {
  const Clock::time_point now = now_();
  const std::lock_guard<std::mutex> lock(mutex_);
  return drain(now);
}

LimitedLog::LimitedLog(const Logger& log, std::string source, std::string noun, int64_t max_lines,
                       LogLimiter::Clock::duration window,
                       std::function<LogLimiter::Clock::time_point()> now)
    : log_(log),
      source_(std::move(source)),
      noun_(std::move(noun)),
      limiter_(max_lines, window, std::move(now)) {}

LimitedLog::~LimitedLog() { report(limiter_.take_suppressed()); }

void LimitedLog::report(const LogLimiter::Admission& admission) const {
  if (admission.suppressed == 0) return;
  log_.info(format("%s: %lld %s lines suppressed in the last %.0f s", source_.c_str(),
                   static_cast<long long>(admission.suppressed), noun_.c_str(),
                   std::max(1.0, std::ceil(admission.over_seconds))));
}

void LimitedLog::line(const std::string& text) {
  const LogLimiter::Admission admission = limiter_.admit();
  if (!admission.log) return;
  report(admission);
  log_.info(text);
}

}  // namespace tf::control
