// When a Trainer saves a checkpoint (checkpoint.dir set): every checkpoint.interval steps unless
// the last updates were skipped (so that retention keeps the checkpoints from before them), and
// whenever a run stops with a step that is not on disk yet: at its end, on a stop request, on
// preemption, before a relaunch for another layout and after a growth failed. Remembers the last
// step saved or restored and the newest good checkpoint (no skipped update after it). The saving
// itself is the trainer's, called back here. Training thread only; a save throws what it throws.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/config.h"
#include "core/log.h"

namespace tf {

class CheckpointPolicy {
 public:
  // Saves the trainer's state at its current step; returns the checkpoint's directory.
  using Save = std::function<std::string()>;
  // `config` must outlive the policy.
  CheckpointPolicy(const CheckpointConfig& config, const Logger& log, Save save);

  // After step `step`: the periodic save, unless the last `skipped_in_a_row` updates were skipped.
  void after_step(int64_t step, int64_t skipped_in_a_row);
  // The checkpoint of `step`: saved now unless `step` is on disk already. Returns its directory
  // either way; "" without checkpoint.dir (nothing saved). A stop, a preemption and a save request
  // all ask this, so that a step is never written twice.
  std::string save_unless_saved(int64_t step);
  // The state of `step` is on disk in `dir` (written or restored).
  void on_disk(int64_t step, std::string dir) {
    saved_step_ = step;
    saved_dir_ = std::move(dir);
  }
  // `dir` is the newest checkpoint with no skipped update after it.
  void set_good(const std::string& dir) { good_ = dir; }
  // The newest good checkpoint; empty when none was written or restored.
  const std::string& good() const { return good_; }

 private:
  const CheckpointConfig& config_;
  const Logger& log_;
  Save save_;
  int64_t saved_step_ = -1;  // step of the last checkpoint written or restored
  std::string saved_dir_;    // and its directory
  std::string good_;
};

}  // namespace tf
