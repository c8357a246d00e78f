#include "core/trainer/checkpoint_policy.h"

namespace tf {

CheckpointPolicy::CheckpointPolicy(const CheckpointConfig& config, const Logger& log, Save save)
    : config_(config), log_(log), save_(std::move(save)) {}

void CheckpointPolicy::after_step(int64_t step, int64_t skipped_in_a_row) {
  const CheckpointConfig& c = config_;
  if (!c.dir.empty() && c.interval > 0 && step % c.interval == 0) {
    if (skipped_in_a_row == 0) {
      save_();
    } else {  // keep retention from pushing out the checkpoints from before the bad steps
      log_.info(
          format("step %6lld | periodic checkpoint skipped: the last %lld updates were "
                 "skipped",
                 (long long)step, (long long)skipped_in_a_row));
    }
  }
}

std::string CheckpointPolicy::save_unless_saved(int64_t step) {
  if (config_.dir.empty()) return "";
  return saved_step_ == step ? saved_dir_ : save_();
}

}  // namespace tf
