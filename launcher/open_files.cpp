#include "launcher/open_files.h"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/log.h"

namespace tf {
namespace {

constexpr uint64_t kAtMost = uint64_t{1} << 20;

}  // namespace

OpenFileLimit current_open_file_limit() {
  rlimit now{};
  OpenFileLimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &now) != 0) return limit;
  limit.before = limit.soft = now.rlim_cur;
  limit.hard = now.rlim_max;
  return limit;
}

OpenFileLimit raise_open_file_limit() {
  OpenFileLimit limit = current_open_file_limit();
  const uint64_t wanted = std::min<uint64_t>(limit.hard, kAtMost);
  if (wanted <= limit.soft) return limit;
  rlimit raised{};
  raised.rlim_cur = wanted;
  raised.rlim_max = limit.hard;
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit.soft = wanted;
  return limit;
}

std::string describe(const OpenFileLimit& limit) {
  if (limit.soft > limit.before) {
    return format("open files: limit %llu (raised from %llu to the hard limit)",
                  static_cast<unsigned long long>(limit.soft),
                  static_cast<unsigned long long>(limit.before));
  }
  return format("open files: limit %llu (hard limit %llu)",
                static_cast<unsigned long long>(limit.soft),
                static_cast<unsigned long long>(limit.hard));
}

uint64_t open_file_count() {
  std::error_code error;
  uint64_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;
}

uint64_t files_for_clients(const OpenFileLimit& limit, uint64_t open_now) {
  const uint64_t kept = open_now + kFilesKeptForTheRun;
  return limit.soft > kept ? limit.soft - kept : 0;
}

}  // namespace tf
