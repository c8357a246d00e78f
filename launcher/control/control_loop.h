// The training loop's side of the control plane: a StepObserver installed on every rank. At each
// step boundary world rank 0 takes the pending command (if any) from the CommandQueue, every rank
// receives it through ParallelContext::broadcast_from_primary and applies it, so all ranks act at
// the same step. While paused it keeps polling at the boundary; the other ranks wait in the
// broadcast, which rank 0 repeats every kPausePoll so that none waits unboundedly in one call.
// With metrics on, every rank's step time and memory are gathered to rank 0 after each step; with
// the control server on, at least every train.log_interval steps, for the status's rank lines
// (the ranks' placements once, at the first of these gathers).
// Runs on the training thread only; queue, board and metrics are null on ranks other than 0.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/log.h"
#include "core/parallel_context.h"
#include "core/trainer/trainer.h"
#include "launcher/control/command_queue.h"
#include "launcher/control/rank_placement.h"
#include "launcher/control/status_board.h"
#include "launcher/control/training_metrics.h"

namespace tf::control {

// What the launcher can do on request besides what the Trainer does itself (scale-up). Called on
// every rank at the same step; returns a one-line description for the reply and throws tf::Error
// to refuse. Null: not in this run, refused with UNIMPLEMENTED.
struct ControlActions {
  std::function<std::string(Trainer&)> save_checkpoint;  // returns the checkpoint's path
};

class ControlLoop final : public StepObserver {
 public:
  static constexpr std::chrono::milliseconds kPausePoll{200};

  ControlLoop(const Config& config, ParallelContext& context, const Logger& log,
              ControlActions actions, CommandQueue* queue, StatusBoard* board,
              TrainingMetrics* metrics, RankPlacement here = {});

  void on_step_boundary(Trainer& trainer) override;
  void on_model_change(const ModelState& state) override;
  void on_step(const StepStats& stats) override;
  void on_validation(int64_t step, double loss) override;
  void on_checkpoint(int64_t step, const std::string& path, double seconds) override;
  // After Trainer::run() returned: pending and later requests are refused, watchers end.
  // `ending` says how ("finished", "stopped for a relaunch", ...).
  void finish(int64_t step, const std::string& ending);

 private:
  Outcome apply(const v1::Command& command, Trainer& trainer);
  Outcome scale_up(const v1::ScaleUpRequest& request, Trainer& trainer);
  Outcome save_checkpoint(Trainer& trainer);
  Outcome stop(Trainer& trainer);
  void set_state(v1::RunState state, int64_t step, const std::string& message);
  // Whether the ranks gather their figures after step `step`: the same on every rank.
  bool figures_due(int64_t step) const;
  // Collective over the world: every rank's step time and memory (and placement, the first time)
  // to the metrics and the status board.
  void gather_rank_figures(const StepStats& stats);

  const Config& config_;
  ParallelContext& context_;
  const Logger& log_;
  ControlActions actions_;
  CommandQueue* queue_;
  StatusBoard* board_;
  TrainingMetrics* metrics_;
  bool commands_enabled_;      // same on every rank: control.address is set
  bool rank_figures_enabled_;  // same on every rank: metrics.address is set
  bool paused_ = false;
  RankPlacement here_;
  std::vector<RankPlacement> placements_;  // every rank's, once gathered
};

}  // namespace tf::control
