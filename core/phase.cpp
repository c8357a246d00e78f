#include "core/phase.h"

namespace tf {

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kStartup:
      return "start-up";
    case Phase::kStep:
      return "step";
    case Phase::kValidation:
      return "validation";
    case Phase::kCheckpoint:
      return "checkpoint save";
    case Phase::kIdle:
      return "idle";
  }
  return "?";
}

void PhaseClock::enter(Phase phase, int64_t step) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    phase_ = phase;
    step_ = step;
    since_ = Clock::now();
    ++changes_;
  }
  changed_.notify_all();
}

PhaseClock::Reading PhaseClock::read() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return {phase_, step_, std::chrono::duration<double>(Clock::now() - since_).count()};
}

PhaseClock::Reading PhaseClock::wait_for_change(uint64_t& seen,
                                                std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return changes_ != seen; });
  seen = changes_;
  return {phase_, step_, std::chrono::duration<double>(Clock::now() - since_).count()};
}

void PhaseClock::wake() const {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++changes_;
  }
  changed_.notify_all();
}

PhaseClock::Scope::Scope(PhaseClock& clock, Phase phase, int64_t step)
    : clock_(clock), outer_(clock.read()) {
  clock_.enter(phase, step);
}

PhaseClock::Scope::~Scope() { clock_.enter(outer_.phase, outer_.step); }

}  // namespace tf
