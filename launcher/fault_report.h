// What each rank of a launch is doing and how it failed, in files beside the checkpoints, and the
// one summary of a failure that names the rank that failed first (docs/troubleshooting.md).
// Under the fault directory: rank-<r>.json (rewritten by the rank's watchdog, launcher/watchdog.h),
// error-<r>.json (written once, when the rank fails) and summary.txt. Every file carries the
// launch id, so files of an earlier launch are never mistaken for this one's.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "core/config.h"
#include "core/phase.h"

namespace tf {

struct RankIdentity {
  int rank = 0;
  int world = 1;
  std::string host;
  int64_t pid = 0;
  std::string launch;  // the same on every rank of one launch
};

// fault.dir, or <checkpoint.dir>/ranks; empty when neither is set.
std::string fault_dir(const Config& config);
// The key that fault_dir came from, with its value, for messages.
std::string fault_dir_origin(const Config& config);

class FaultReporter {
 public:
  // Writes nothing when `dir` is empty. Removes this rank's error file of an earlier launch.
  // Throws tf::Error, naming `origin` (fault_dir_origin), when `dir` cannot be created.
  FaultReporter(std::string dir, RankIdentity identity, double interval_seconds,
                const std::string& origin = "");

  const RankIdentity& identity() const { return identity_; }
  const std::string& dir() const { return dir_; }
  double interval() const { return interval_; }
  // Where the rank trains, once its mesh is known: its index among the job's ranks on its host and
  // its device ("cpu", "cuda:1"). Thread-safe, as is set_step_seconds.
  void set_placement(int64_t local_rank, const std::string& device);
  // The wall seconds of the rank's last completed step.
  void set_step_seconds(double seconds);
  // rank-<r>.json (with local_rank and device once placed, and step_seconds): `state` is "running",
  // "signalled" (while it runs), or how it ended: "finished", "preempted", "stopped for a
  // relaunch", "failed" or "timed out".
  void write_status(const PhaseClock::Reading& now, const std::string& state,
                    int signal_number = 0) const;
  // error-<r>.json; `kind` is "error", "internal error", "communication failure", "diverged" or
  // "timeout".
  void write_error(const PhaseClock::Reading& now, const std::string& kind,
                   const std::string& message) const;

 private:
  std::string dir_;
  RankIdentity identity_;
  double interval_;
  mutable std::mutex
      mutex_;  // guards what follows: set by the training thread, read by the watchdog
  int64_t local_rank_ = -1;  // unknown until placed
  std::string device_;
  double step_seconds_ = 0;
};

// The summary of the newest launch under `dir`: the rank that failed first with its host, phase,
// step and error, then the other ranks' failures marked as consequences. Ranks whose status went
// stale (or whose process is gone, on this host) without an error file are taken as stopped or
// killed. Written to summary.txt as well. Throws tf::Error when `dir` has no status file.
std::string summarize_failure(const std::string& dir);
// Whether a rank of the newest launch under `dir` died on this host without a word (its process is
// gone, its status says it was running, it wrote no error) and `rank` is the lowest rank of that
// launch still alive on this host: the one to print the summary when the launcher ends the job.
bool peer_died_here(const std::string& dir, int rank);
// Whether every rank of the newest launch under `dir` has reported how it ended, or gone silent.
bool every_rank_accounted(const std::string& dir);
// The summary.txt of the newest launch under `dir`, empty when it has none yet.
std::string written_summary(const std::string& dir);

}  // namespace tf
