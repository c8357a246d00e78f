#include "launcher/control/control_loop.h"

#include "core/error.h"
#include "core/memory_estimate.h"

namespace tf::control {
namespace {

using grpc::StatusCode;

StatusCode code_of(ScaleUpRefused::Reason reason) {
  switch (reason) {
    case ScaleUpRefused::Reason::kInvalid:
      return StatusCode::INVALID_ARGUMENT;
    case ScaleUpRefused::Reason::kNoStage:
      return StatusCode::FAILED_PRECONDITION;
    case ScaleUpRefused::Reason::kOutOfMemory:
    case ScaleUpRefused::Reason::kGrowthFailed:
      return StatusCode::RESOURCE_EXHAUSTED;
  }
  return StatusCode::INTERNAL;
}

}  // namespace

ControlLoop::ControlLoop(const Config& config, ParallelContext& context, const Logger& log,
                         ControlActions actions, CommandQueue* queue, StatusBoard* board,
                         TrainingMetrics* metrics, RankPlacement here)
    : config_(config),
      context_(context),
      log_(log),
      actions_(std::move(actions)),
      queue_(queue),
      board_(board),
      metrics_(metrics),
      commands_enabled_(!config.control.address.empty()),
      rank_figures_enabled_(!config.metrics.address.empty()),
      here_(std::move(here)) {}

void ControlLoop::on_model_change(const ModelState& model) {
  if (metrics_) metrics_->set_model(model);
  if (!board_) return;
  board_->update([&](v1::Status& s) {
    s.set_stage_index(model.stage_index);
    s.set_stage(model.stage);
    s.mutable_tokens()->set_qkv_tokens(model.tokens.qkv);
    s.mutable_tokens()->set_proj_tokens(model.tokens.proj);
    s.mutable_tokens()->set_ffn_tokens(model.tokens.ffn);
    s.set_parameter_count(model.parameters);
    s.set_total_steps(model.total_steps);
  });
}

void ControlLoop::on_step_boundary(Trainer& trainer) {
  if (!commands_enabled_) return;
  do {
    std::string bytes;
    if (queue_) {
      bytes = queue_->take(paused_ ? kPausePoll : std::chrono::milliseconds(0)).value_or("");
    }
    bytes = context_.broadcast_from_primary(bytes);
    if (bytes.empty()) continue;
    v1::Command command;
    TF_CHECK(command.ParseFromString(bytes), "control command of ", bytes.size(), " bytes");
    const Outcome outcome = apply(command, trainer);
    if (queue_) queue_->complete(outcome);
  } while (paused_);
}

Outcome ControlLoop::apply(const v1::Command& command, Trainer& trainer) {
  const int64_t step = trainer.step();
  switch (command.action_case()) {
    case v1::Command::kPause:
      if (paused_) return {StatusCode::FAILED_PRECONDITION, "already paused", step};
      paused_ = true;
      set_state(v1::RUN_STATE_PAUSED, step, "paused before step " + std::to_string(step + 1));
      return {StatusCode::OK, "paused before step " + std::to_string(step + 1), step};
    case v1::Command::kResume:
      if (!paused_) return {StatusCode::FAILED_PRECONDITION, "not paused", step};
      paused_ = false;
      set_state(v1::RUN_STATE_RUNNING, step, "resumed");
      return {StatusCode::OK, "resumed at step " + std::to_string(step), step};
    case v1::Command::kScaleUp:
      return scale_up(command.scale_up(), trainer);
    case v1::Command::kSaveCheckpoint:
      return save_checkpoint(trainer);
    case v1::Command::kStop:
      return stop(trainer);
    case v1::Command::ACTION_NOT_SET:
      break;
  }
  return {StatusCode::INVALID_ARGUMENT, "empty command", step};
}

Outcome ControlLoop::scale_up(const v1::ScaleUpRequest& request, Trainer& trainer) {
  const int64_t step = trainer.step();
  std::optional<TokenCounts> tokens;
  if (request.has_tokens()) {
    const v1::TokenCounts& t = request.tokens();
    tokens = TokenCounts{t.qkv_tokens(), t.proj_tokens(), t.ffn_tokens()};
  }
  Trainer::GrowthChoice choice;  // validated: empty or a known name
  if (!request.growth().empty()) choice.growth = parse_choice<GrowthPolicy>(request.growth());
  if (!request.optimizer().empty()) {
    choice.carry_optimizer =
        parse_choice<OptimizerRule>(request.optimizer()) == OptimizerRule::kCarry;
  }
  if (request.has_noise()) choice.noise = request.noise();
  if (request.has_freeze_old_steps()) choice.freeze_old_steps = request.freeze_old_steps();
  if (request.has_rewarm_steps()) choice.rewarm_steps = request.rewarm_steps();
  try {
    const std::string message = trainer.scale_up(tokens, choice);
    set_state(paused_ ? v1::RUN_STATE_PAUSED : v1::RUN_STATE_RUNNING, step,
              "scaled up: " + message);
    return {StatusCode::OK, message, step};
  } catch (const ScaleUpRefused& e) {  // logged with every other refusal by the service
    return {code_of(e.reason()), e.what(), step};
  }
}

Outcome ControlLoop::save_checkpoint(Trainer& trainer) {
  const int64_t step = trainer.step();
  if (!actions_.save_checkpoint) {
    return {StatusCode::FAILED_PRECONDITION,
            "no checkpoint: checkpoint.dir is not set in the run's config", step};
  }
  try {
    return {StatusCode::OK, actions_.save_checkpoint(trainer), step};  // reported by on_checkpoint
  } catch (const Error& e) {
    return {StatusCode::FAILED_PRECONDITION, e.what(), step};
  }
}

void ControlLoop::on_checkpoint(int64_t step, const std::string& path, double seconds) {
  if (metrics_) metrics_->on_checkpoint(seconds, !path.empty());
  if (!board_ || path.empty()) return;
  board_->update([&](v1::Status& s) {
    s.set_last_checkpoint(path);
    s.set_last_checkpoint_step(step);
  });
}

Outcome ControlLoop::stop(Trainer& trainer) {
  const int64_t step = trainer.step();
  std::string message = "stopping at step " + std::to_string(step);
  if (actions_.save_checkpoint) {
    const Outcome saved = save_checkpoint(trainer);
    if (saved.code != StatusCode::OK) return saved;  // keep training rather than lose work
    message += "; checkpoint " + saved.message;
  } else {
    message += "; no checkpoint (checkpoint.dir is not set)";
  }
  paused_ = false;
  trainer.request_stop();
  set_state(v1::RUN_STATE_STOPPING, step, message);
  return {StatusCode::OK, message, step};
}

void ControlLoop::set_state(v1::RunState state, int64_t step, const std::string& message) {
  log_.info("control: " + message);
  if (!board_) return;
  board_->update([&](v1::Status& s) { s.set_state(state); });
  v1::ProgressEvent event;
  event.set_kind(v1::ProgressEvent::KIND_STATE);
  event.set_step(step);
  event.set_state(state);
  event.set_message(message);
  board_->publish(event);
}

bool ControlLoop::figures_due(int64_t step) const {
  if (rank_figures_enabled_) return true;  // the metrics' per-rank gauges: every step
  if (!commands_enabled_) return false;
  return placements_.empty() || step % std::max<int64_t>(1, config_.train.log_interval) == 0;
}

void ControlLoop::gather_rank_figures(const StepStats& stats) {
  if (placements_.empty()) placements_ = gather_placements(context_, here_);
  const auto gpu = stats.device_memory;
  const torch::Tensor mine = torch::tensor(
      {stats.seconds, resident_memory_bytes(), gpu ? double(gpu->peak_allocated) : -1.0,
       gpu ? double(gpu->peak_reserved) : -1.0},
      torch::kFloat64);
  const torch::Tensor all = context_.gather_over_world(mine).view({-1, 4});
  std::vector<RankFigures> ranks;
  for (int64_t r = 0; r < all.size(0); ++r) {
    const std::string host = r < int64_t(placements_.size()) ? placements_[r].host : "";
    ranks.push_back({all[r][0].item<double>(), all[r][1].item<double>(), all[r][2].item<double>(),
                     all[r][3].item<double>(), host});
  }
  if (metrics_) metrics_->on_rank_figures(ranks);
  if (!board_) return;
  board_->update([&](v1::Status& s) {
    s.clear_ranks();
    for (size_t r = 0; r < ranks.size() && r < placements_.size(); ++r) {
      v1::RankStatus* rank = s.add_ranks();
      rank->set_rank(static_cast<int64_t>(r));
      rank->set_host(placements_[r].host);
      rank->set_local_rank(placements_[r].local_rank);
      rank->set_device(placements_[r].device);
      rank->set_step_seconds(ranks[r].step_seconds);
    }
  });
}

void ControlLoop::on_step(const StepStats& stats) {
  if (figures_due(stats.step)) gather_rank_figures(stats);
  if (metrics_) metrics_->on_step(stats);
  if (!board_) return;
  const double tokens_per_second = stats.seconds > 0 ? stats.tokens / stats.seconds : 0;
  board_->update([&](v1::Status& s) {
    s.set_step(stats.step);
    s.set_loss(stats.loss);
    s.set_tokens_per_second(tokens_per_second);
    s.set_tokens_total(s.tokens_total() + stats.tokens);
  });
  v1::ProgressEvent event;
  event.set_kind(v1::ProgressEvent::KIND_STEP);
  event.set_step(stats.step);
  event.set_loss(stats.loss);
  event.set_grad_norm(stats.grad_norm);
  event.set_learning_rate(stats.lr);
  event.set_step_seconds(stats.seconds);
  event.set_tokens_per_second(tokens_per_second);
  event.set_state(paused_ ? v1::RUN_STATE_PAUSED : v1::RUN_STATE_RUNNING);
  board_->publish(event);
}

void ControlLoop::on_validation(int64_t step, double loss) {
  if (metrics_) metrics_->on_validation(loss);
  if (!board_) return;
  board_->update([&](v1::Status& s) {
    s.set_validation_loss(loss);
    s.set_validation_step(step);
  });
  v1::ProgressEvent event;
  event.set_kind(v1::ProgressEvent::KIND_VALIDATION);
  event.set_step(step);
  event.set_loss(loss);
  board_->publish(event);
}

void ControlLoop::finish(int64_t step, const std::string& ending) {
  const std::string message = "run " + ending + " at step " + std::to_string(step);
  if (queue_) queue_->close("the " + message);
  if (!board_) return;
  set_state(v1::RUN_STATE_FINISHED, step, message);
  board_->finish();
}

}  // namespace tf::control
