// One job per checkpoint directory: a job holds <checkpoint.dir>/LEASE while it runs
// (docs/checkpoints.md). The file names its holder (host, pid, job, launch) and the time it was
// last renewed. It relies only on what NFS and Lustre make atomic, not on flock: it is taken by an
// exclusive create, renewed by a write beside it and a rename over it, and a stale lease is taken
// over by renaming it away first (only one contender's rename succeeds) and then creating afresh.
// A lease is stale when its holder is gone (launcher/liveness.h): on this host its process has
// ended, on another it has not been renewed within about three renewal intervals.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace tf {

struct LeaseHolder {
  std::string host;
  int64_t pid = 0;
  std::string job;     // SLURM_JOB_ID, empty outside Slurm
  std::string launch;  // the launch id of the fault reports (launcher/fault_report.h)
  double started = 0;  // seconds since the epoch
  double renewed = 0;
  double interval = 0;  // seconds between renewals
};

// `host`, `pid` and `job` of this process, with `launch` and `interval`.
LeaseHolder this_process_holder(const std::string& launch, double interval);

class CheckpointLease {
 public:
  static constexpr const char* kFileName = "LEASE";

  // Takes <dir>/LEASE for `me`, creating `dir` when missing. Throws tf::Error naming the holder
  // when a live job holds it, and naming `dir` when it cannot be written.
  CheckpointLease(const std::string& dir, LeaseHolder me);
  // release()
  ~CheckpointLease();
  CheckpointLease(const CheckpointLease&) = delete;
  CheckpointLease& operator=(const CheckpointLease&) = delete;

  const std::string& dir() const { return dir_; }
  // The line to log when a stale lease was taken over, naming its old holder; empty otherwise.
  const std::string& taken_over() const { return taken_over_; }
  // Rewrites the renewal time. False, and nothing written, once the file no longer names this job
  // (another job took it over, or it was removed).
  bool renew();
  // Whether the file still names this job.
  bool held() const;
  // Removes the file if it still names this job; later calls do nothing.
  void release();
  // "checkpoint.dir DIR" and who holds it, for messages: "job 12 (host h1, pid 5, lease renewed
  // 2 s ago)".
  static std::string describe(const LeaseHolder& holder, double now);

 private:
  std::string dir_;
  std::string path_;
  LeaseHolder me_;
  std::string taken_over_;
  mutable std::mutex mutex_;
  bool released_ = false;
};

}  // namespace tf
