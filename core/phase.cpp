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
  const std::lock_guard<std::mutex> lock(mutex_);
  phase_ = phase;
  step_ = step;
  since_ = Clock::now();
}

PhaseClock::Reading PhaseClock::read() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return {phase_, step_, std::chrono::duration<double>(Clock::now() - since_).count()};
}

PhaseClock::Scope::Scope(PhaseClock& clock, Phase phase, int64_t step)
    : clock_(clock), outer_(clock.read()) {
  clock_.enter(phase, step);
}

PhaseClock::Scope::~Scope() { clock_.enter(outer_.phase, outer_.step); }

}  // namespace tf
