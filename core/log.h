// Log lines on stdout, each prefixed with the time and the world rank. Once-per-job messages go
// through info() and print on rank 0 only; every_rank() prints everywhere (errors, per-rank facts).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tf {

class Logger {
 public:
  explicit Logger(int64_t rank = 0) : rank_(rank) {}
  void info(const std::string& message) const;
  void every_rank(const std::string& message) const;
  bool is_primary() const { return rank_ == 0; }

 private:
  int64_t rank_;
};

// Paces the progress lines of long work: due() is true once `every_seconds` have passed since the
// start or since it was last true.
class ProgressPace {
 public:
  explicit ProgressPace(double every_seconds = 5);
  bool due();
  double elapsed_seconds() const;
  // The time left at this pace with `done` of `total` units done (done > 0).
  double seconds_left(int64_t done, int64_t total) const;

 private:
  using Clock = std::chrono::steady_clock;
  Clock::duration every_;
  Clock::time_point start_, last_;
};

// printf-style formatting into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// 151881216 -> "151,881,216".
std::string with_commas(int64_t value);
// (1, "document") -> "1 document"; (2500, "document") -> "2,500 documents".
std::string count_of(int64_t count, const std::string& noun);
}  // namespace tf
