// The StepObserver tf-launch hands the Trainer (TrainerCollaborators::observer): it notes each
// step's wall time for the rank's status file (launcher/fault_report.h) and passes every call on
// to the control plane's observer, when there is one.
#pragma once

#include "core/trainer/trainer.h"
#include "launcher/fault_report.h"

namespace tf {

class StepStatusObserver final : public StepObserver {
 public:
  // `next` may be null.
  StepStatusObserver(FaultReporter& reporter, StepObserver* next)
      : reporter_(reporter), next_(next) {}

  void on_step_boundary(Trainer& trainer) override {
    if (next_) next_->on_step_boundary(trainer);
  }
  void on_model_change(const ModelState& state) override {
    if (next_) next_->on_model_change(state);
  }
  void on_step(const StepStats& stats) override {
    reporter_.set_step_seconds(stats.seconds);
    if (next_) next_->on_step(stats);
  }
  void on_validation(int64_t step, double loss) override {
    if (next_) next_->on_validation(step, loss);
  }
  void on_checkpoint(int64_t step, const std::string& path, double seconds) override {
    if (next_) next_->on_checkpoint(step, path, seconds);
  }

 private:
  FaultReporter& reporter_;
  StepObserver* next_;
};

}  // namespace tf
