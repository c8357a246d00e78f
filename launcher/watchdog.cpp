#include "launcher/watchdog.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/log.h"
#include "launcher/liveness.h"
#include "launcher/preemption.h"

namespace tf {
namespace {

constexpr std::chrono::milliseconds kPoll{100};

}  // namespace

double Watchdog::interval(const FaultConfig& fault) {
  double shortest = 20;
  for (const double t : {fault.startup_timeout, fault.step_timeout, fault.checkpoint_timeout}) {
    if (t > 0) shortest = std::min(shortest, t);
  }
  return std::max(0.2, shortest / 4);
}

Watchdog::Watchdog(const FaultConfig& fault, const PhaseClock& clock, const FaultReporter& reporter,
                   std::function<void()> abort_job, std::function<void()> every_interval)
    : fault_(fault),
      clock_(clock),
      reporter_(reporter),
      abort_job_(std::move(abort_job)),
      every_interval_(std::move(every_interval)) {
  reporter_.write_status(clock_.read(), "running");
  thread_ = std::thread([this] { loop(); });
}

void Watchdog::stop(const std::string& state) {
  if (stopping_.exchange(true)) return;
  clock_.wake();
  thread_.join();
  reporter_.write_status(clock_.read(), state);
}

Watchdog::~Watchdog() { stop("finished"); }

Watchdog::Limit Watchdog::limit(Phase phase) const {
  switch (phase) {
    case Phase::kStartup:
      return {"fault.startup_timeout", fault_.startup_timeout};
    case Phase::kStep:
    case Phase::kValidation:
      return {"fault.step_timeout", fault_.step_timeout};
    case Phase::kCheckpoint:
      return {"fault.checkpoint_timeout", fault_.checkpoint_timeout};
    case Phase::kIdle:
      break;
  }
  return {"", 0};
}

void Watchdog::loop() {
  using Clock = std::chrono::steady_clock;
  const auto every = std::chrono::duration<double>(interval(fault_));
  auto next_status = Clock::now() + every;
  auto next_interval = next_status;
  int reported_signal = 0;
  int64_t signals = signals_seen();
  bool witnessed = false;
  uint64_t changes = 0;
  PhaseClock::Reading written = clock_.read();
  while (!stopping_) {
    // Woken by every phase the trainer enters: the status file follows the step.
    const PhaseClock::Reading now = clock_.wait_for_change(changes, kPoll);
    if (stopping_) break;
    if (Clock::now() >= next_interval) {
      if (every_interval_) every_interval_();
      next_interval = Clock::now() + every;
    }
    bool write =
        Clock::now() >= next_status || now.phase != written.phase || now.step != written.step;
    if (signals_seen() != signals) {
      signals = signals_seen();
      // A launcher ending the job signals before it kills: SIGCONT, then SIGTERM (mpirun).
      if (preemption_signal() != reported_signal) {
        reported_signal = preemption_signal();
        write = true;
      }
      if (!witnessed && peer_died_here(reporter_.dir(), reporter_.identity().rank)) {
        witnessed = true;  // mpirun is ending the job because a peer died: say where, now
        print_summary_now(reporter_);
      }
    }
    const Limit allowed = limit(now.phase);
    if (allowed.seconds > 0 && now.seconds > allowed.seconds) time_out(now, allowed);
    if (write) {
      reporter_.write_status(now, reported_signal != 0 ? "signalled" : "running", reported_signal);
      written = now;
      next_status = Clock::now() + every;
    }
  }
}

void Watchdog::time_out(const PhaseClock::Reading& now, const Limit& allowed) {
  const std::string message = format(
      "the %s phase at step %lld has lasted %.0f s, longer than %s (%g s): a peer died, "
      "stopped or hangs; aborting the job",
      phase_name(now.phase), (long long)now.step, now.seconds, allowed.key, allowed.seconds);
  const RankIdentity& me = reporter_.identity();
  std::fprintf(stderr, "tf-launch: rank %d: watchdog: %s\n", me.rank, message.c_str());
  std::fflush(stderr);
  reporter_.write_error(now, "timeout", message);
  reporter_.write_status(now, "timed out");
  report_failure(reporter_);
  abort_job_();
  std::abort();  // abort_job_ must not return
}

double summary_grace(const FaultReporter& reporter) {
  return stale_after(reporter.interval()) + 0.5;
}

namespace {

// Once per launch: the first rank to print it leaves summary.txt, and the others stay quiet.
void print_summary(const FaultReporter& reporter) {
  if (!written_summary(reporter.dir()).empty()) return;
  try {
    std::fputs(summarize_failure(reporter.dir()).c_str(), stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tf-launch: no failure summary: %s\n", e.what());
  }
  std::fflush(stderr);
}

void print_failure_summary(const FaultReporter& reporter) {
  if (reporter.dir().empty()) return;
  // The other ranks write their errors at about the same time, and silent ones need the time to
  // go stale.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(summary_grace(reporter));
  while (!every_rank_accounted(reporter.dir()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  print_summary(reporter);
}

}  // namespace

void print_summary_now(const FaultReporter& reporter) {
  if (!reporter.dir().empty()) print_summary(reporter);
}

void report_failure(const FaultReporter& reporter) {
  if (reporter.identity().rank == 0) {
    print_failure_summary(reporter);
  } else if (!reporter.dir().empty()) {  // leave rank 0 the time to summarise before the abort
    std::this_thread::sleep_for(std::chrono::duration<double>(summary_grace(reporter) + 2));
  }
}

}  // namespace tf
