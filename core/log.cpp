#include "core/log.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <vector>

namespace tf {

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  const int size = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::vector<char> buffer(static_cast<size_t>(size) + 1);
  std::vsnprintf(buffer.data(), buffer.size(), fmt, args);
  va_end(args);
  return std::string(buffer.data(), static_cast<size_t>(size));
}

void Logger::every_rank(const std::string& message) const {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &utc);
  std::printf("[%s r%lld] %s\n", stamp, static_cast<long long>(rank_), message.c_str());
  std::fflush(stdout);
}

void Logger::info(const std::string& message) const {
  if (is_primary()) every_rank(message);
}

ProgressPace::ProgressPace(double every_seconds)
    : every_(std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(every_seconds))),
      start_(Clock::now()),
      last_(start_) {}

bool ProgressPace::due() {
  const Clock::time_point now = Clock::now();
  if (now - last_ < every_) return false;
  last_ = now;
  return true;
}

double ProgressPace::elapsed_seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

double ProgressPace::seconds_left(int64_t done, int64_t total) const {
  return elapsed_seconds() * static_cast<double>(total - done) / static_cast<double>(done);
}

std::string with_commas(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return value < 0 ? "-" + digits : digits;
}

std::string count_of(int64_t count, const std::string& noun) {
  return with_commas(count) + " " + noun + (count == 1 ? "" : "s");
}

}  // namespace tf
