// Whether a process that keeps a file fresh is still there: a rank and its status file
// (launcher/fault_report.h), a job and its checkpoint lease (launcher/lease.h). Such a file names
// its writer's host and pid, and the time it was last rewritten every `interval` seconds.
#pragma once

#include <cstdint>
#include <string>

namespace tf {

// Now, in seconds since the epoch: the clock of the files' times (comparable across hosts).
double wall_seconds();
// How long a file rewritten every `interval` seconds may go unrewritten before its writer counts as
// gone: three intervals and a margin for a busy file system.
double stale_after(double interval);
// Whether `pid` names a living process of this host (not a zombie).
bool process_alive(int64_t pid);

// What the file says of its writer.
struct Keeper {
  std::string host;
  int64_t pid = 0;
  double time = 0;  // when it last rewrote the file (seconds since the epoch)
  double interval = 0;
};

// The writer is gone: on this host (`my_host`), its process has ended; on another host, it has not
// rewritten the file within stale_after(interval) of `now`.
bool keeper_gone(const Keeper& keeper, const std::string& my_host, double now);

}  // namespace tf
