// What a rank is doing now and since when, for the watchdog (launcher/watchdog.h): the trainer
// enters a phase at each step, validation pass and checkpoint save; the watchdog thread reads it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace tf {

enum class Phase {
  kStartup,     // launch to the first step: config, communicators, data, model, resume
  kStep,        // one optimizer step (with a stage transition at its boundary)
  kValidation,  // one validation pass
  kCheckpoint,  // one checkpoint save
  kIdle,        // no time-out: held at a step boundary by a pause, or after the last step
};

// "start-up", "step", "validation", "checkpoint save", "idle": for messages and the status files.
const char* phase_name(Phase phase);

// Thread-safe: one thread enters phases, any other reads.
class PhaseClock {
 public:
  using Clock = std::chrono::steady_clock;
  struct Reading {
    Phase phase = Phase::kStartup;
    int64_t step = 0;    // the step being taken (or last taken, outside kStep)
    double seconds = 0;  // in this phase so far
  };

  // Entering wakes a reader waiting in wait_for_change (a notify: the step does not notice it).
  void enter(Phase phase, int64_t step);
  Reading read() const;
  // Waits until a phase is entered or wake() is called after the change count `seen`, or until
  // `timeout`; updates `seen` and returns the reading.
  Reading wait_for_change(uint64_t& seen, std::chrono::milliseconds timeout) const;
  // Wakes the waiting reader without a change of phase.
  void wake() const;

  // Enters `phase` for its lifetime, then goes back to the phase it found (its clock restarted).
  class Scope {
   public:
    Scope(PhaseClock& clock, Phase phase, int64_t step);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    PhaseClock& clock_;
    Reading outer_;
  };

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  mutable uint64_t changes_ = 0;
  Phase phase_ = Phase::kStartup;
  int64_t step_ = 0;
  Clock::time_point since_ = Clock::now();
};

}  // namespace tf
