// The watchdog of a rank (docs/troubleshooting.md): a thread that reads the trainer's phase
// (core/phase.h) and, when the phase has lasted longer than its fault.*_timeout, records the
// time-out, has rank 0 print the failure summary, and ends the job through `abort_job` (NCCL
// abort, then MPI_Abort): a dead or stopped peer never leaves the others blocked for ever. It
// rewrites the rank's status file at every phase and step the trainer enters (woken by the clock,
// so the file says where a killed rank died), every interval, and at once when a signal arrives.
// When mpirun ends the job because a rank died (it sends the others SIGCONT, SIGTERM 1 s later
// and SIGKILL 1 s after that), the lowest surviving rank on the dead rank's host prints the
// failure summary at once, before its own end.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "core/config.h"
#include "core/phase.h"
#include "launcher/fault_report.h"

namespace tf {

class Watchdog {
 public:
  // How often the status file is rewritten: a quarter of the shortest time-out, at most 5 s.
  static double interval(const FaultConfig& fault);

  // Starts the thread. `abort_job` must not return. `every_interval` (may be empty) is called from
  // the thread once every interval, e.g. to renew the checkpoint lease (launcher/lease.h).
  Watchdog(const FaultConfig& fault, const PhaseClock& clock, const FaultReporter& reporter,
           std::function<void()> abort_job, std::function<void()> every_interval = {});
  // Stops the thread and writes the final status, `state` ("finished" or "failed").
  void stop(const std::string& state);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void loop();
  // The time-out of a phase: its config key and seconds (0: none).
  struct Limit {
    const char* key;
    double seconds;
  };
  Limit limit(Phase phase) const;
  [[noreturn]] void time_out(const PhaseClock::Reading& now, const Limit& limit);

  FaultConfig fault_;
  const PhaseClock& clock_;
  const FaultReporter& reporter_;
  std::function<void()> abort_job_;
  std::function<void()> every_interval_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// How long a failing rank waits before it aborts the job: rank 0 until every rank has reported
// how it ended, or the silent ones have gone stale (about three status intervals), and then prints
// the failure summary to stderr; the others a little longer, so that the abort never cuts it.
double summary_grace(const FaultReporter& reporter);
void report_failure(const FaultReporter& reporter);
// The failure summary to stderr without waiting for the other ranks (nothing without a fault
// directory).
void print_summary_now(const FaultReporter& reporter);

}  // namespace tf
