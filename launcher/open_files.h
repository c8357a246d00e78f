// The process's open-file limit (RLIMIT_NOFILE): raised once at start-up from the soft to the hard
// limit, and the share of it that network clients may hold. Connections are admitted only within
// that share, so that checkpoint saves, data files and logs always find a descriptor, however many
// clients connect (docs/operations.md, "Limits").
#pragma once

#include <cstdint>
#include <string>

namespace tf {

struct OpenFileLimit {
  uint64_t before = 0;  // the soft limit found at start-up
  uint64_t soft = 0;    // the soft limit now
  uint64_t hard = 0;
};

// Raises the soft limit to the hard one (capped at 1 << 20: some systems report "unlimited").
// Never throws; a refused raise leaves `soft` at `before`.
OpenFileLimit raise_open_file_limit();
OpenFileLimit current_open_file_limit();
// "open files: limit 524288 (raised from 1024 to the hard limit)".
std::string describe(const OpenFileLimit& limit);

// Descriptors open in this process now (entries of /proc/self/fd).
uint64_t open_file_count();

// Descriptors kept for the run's own files beyond those open when the servers start: checkpoint
// shards and manifests, data files, status files, logs.
constexpr uint64_t kFilesKeptForTheRun = 64;

// How many descriptors network clients may hold: the soft limit less those open now and
// kFilesKeptForTheRun (0 when nothing is left).
uint64_t files_for_clients(const OpenFileLimit& limit, uint64_t open_now);

}  // namespace tf
