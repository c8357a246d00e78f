// ScaleUp requests, the memory checks that guard them and the stages, and the announcement of
// the model to the observer.
#include <algorithm>

#include "core/device.h"
#include "core/sizes.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

using Reason = ScaleUpRefused::Reason;

}  // namespace

bool Trainer::runs_here(const Stage& stage) const {
  ParallelConfig running;
  running.tp = context_.token_ops().size();
  running.pp = context_.pp_size();
  running.dp = context_.dp_size();
  running.zero1 = context_.owns_optimizer_state();
  return runs_in_place(config_, running, split_, stage.parallel);
}

RankLayout Trainer::rank_layout() const {
  const int64_t in_flight = micro_batches_in_flight(
      config_.parallel.pp_schedule, context_.pp_size(), context_.pp_rank(), accumulation_);
  return {context_.token_ops().size(), context_.dp_size(), context_.owns_optimizer_state(),
          model_->pipeline_layers().count, in_flight};
}

ModelState Trainer::model_state() const {
  ModelState state;
  state.stage_index = static_cast<int64_t>(stage_);
  state.stage = stage().name;  // "main" for a run without stages
  state.tokens = token_counts(model_->config());
  state.parameters = parameter_count(model_->config());
  state.training_flops_per_token = training_flops_per_token(model_->config());
  state.total_steps = stage_start_;
  for (size_t i = stage_; i < stages_.size(); ++i) state.total_steps += stages_[i].steps;
  return state;
}

void Trainer::set_observer(StepObserver* observer) {
  observer_ = observer;
  announce_model();
}

void Trainer::announce_model() const {
  if (observer_) observer_->on_model_change(model_state());
}

MemoryBudget Trainer::memory_budget() const {
  return rank_memory_budget(context_.device(), context_.ranks_on_host());
}

void Trainer::check_stages_fit() const {
  const MemoryBudget budget = memory_budget();
  for (const StageMemory& plan :
       estimate_stages_memory(config_, stages_, context_.world_size(), budget.bytes)) {
    if (plan.fits) continue;
    const Stage& stage = *plan.stage;
    const std::string what = "stage '" + stage.name + "' (" + to_text(stage.tokens) + " tokens, " +
                             layout_text(stage.parallel) + ") needs about " + to_text(plan.need) +
                             " per rank; this rank has " + bytes_text(budget.bytes) + " (" +
                             budget.source + ")";
    if (config_.train.ignore_memory_check) {
      log_.info("warning: " + what + "; training anyway (train.ignore_memory_check)");
      continue;
    }
    throw Error(config_.source + ": " + what +
                ": lower train.micro_batch, use train.activation_checkpointing: layer, or use "
                "more ranks (parallel.tp or parallel.pp); train.ignore_memory_check: true skips "
                "this check");
  }
}

void Trainer::check_memory(const TokenCounts& tokens) {
  const MemoryEstimate need = estimate_rank_memory(with_token_counts(model_->config(), tokens),
                                                   config_.train, rank_layout());
  const double budget = memory_budget().bytes;
  // Every rank sees every rank's figures, so all refuse alike.
  const torch::Tensor all =
      context_.gather_over_world(torch::tensor({need.total(), budget}, torch::kFloat64))
          .view({-1, 2});
  for (int64_t r = 0; r < all.size(0); ++r) {
    const double rank_need = all[r][0].item<double>(), rank_budget = all[r][1].item<double>();
    if (rank_need <= rank_budget) continue;
    if (config_.train.ignore_memory_check) {
      log_.info("warning: a model of " + to_text(tokens) + " tokens needs about " +
                bytes_text(rank_need) + " per rank, rank " + std::to_string(r) + " has " +
                bytes_text(rank_budget) + "; growing anyway (train.ignore_memory_check)");
      return;
    }
    throw ScaleUpRefused(Reason::kOutOfMemory,
                         "a model of " + to_text(tokens) + " tokens needs about " +
                             bytes_text(rank_need) + " per rank (here: " + to_text(need) +
                             "), rank " + std::to_string(r) + " has " + bytes_text(rank_budget) +
                             "; the model stays at " + to_text(token_counts(model_->config())));
  }
}

std::string Trainer::scale_up(const std::optional<TokenCounts>& requested,
                              const GrowthChoice& choice) {
  const TokenCounts now = token_counts(model_->config());
  const Stage* next = stage_ + 1 < stages_.size() ? &stages_[stage_ + 1] : nullptr;
  if (!requested && !next) {
    throw ScaleUpRefused(Reason::kNoStage, "stage '" + stage().name +
                                               "' is the last: give token counts to grow in "
                                               "place (the model has " +
                                               to_text(now) + ")");
  }
  const TokenCounts target = requested.value_or(next ? next->tokens : now);
  if (target.qkv < 1 || target.proj < 1 || target.ffn < 1 || !now.within(target) ||
      target.within(now)) {
    throw ScaleUpRefused(Reason::kInvalid, "token counts (" + to_text(target) +
                                               ") must not be below the current ones (" +
                                               to_text(now) + ") and at least one must be larger");
  }
  const bool starts_next = next && target == next->tokens;
  const GrowthPolicy growth =
      choice.growth.value_or(starts_next ? next->growth : GrowthPolicy::kPreserve);
  const bool carry = choice.carry_optimizer.value_or(starts_next && next->carry_optimizer);
  const std::string how = std::string(" (growth ") + choice_name(growth) + ", optimizer " +
                          choice_name(carry ? OptimizerRule::kCarry : OptimizerRule::kReset) + ")";
  const std::string conflict = growth_norm_conflict(growth, config_.model.norm);
  if (!conflict.empty()) {
    throw ScaleUpRefused(Reason::kInvalid, std::string("growth '") + choice_name(growth) + "' " +
                                               conflict + ": ask for growth " +
                                               choice_name(GrowthPolicy::kNormal) + " or " +
                                               choice_name(GrowthPolicy::kZero));
  }
  if (starts_next) {
    if (!runs_here(*next)) {
      throw ScaleUpRefused(
          Reason::kNoStage,
          "stage '" + next->name + "' runs at " + layout_text(next->parallel) + ", this job at " +
              context_.describe() + ": it starts after the relaunch at the end of stage '" +
              stage().name + "' (step " + std::to_string(stage_start_ + stage().steps) + ")");
    }
    check_memory(target);
    // The stage starts as the request says; a refused growth leaves the config's rule in place.
    Stage& starting = stages_[stage_ + 1];
    const Stage configured = starting;
    starting.growth = growth;
    starting.carry_optimizer = carry;
    try {
      start_next_stage();
    } catch (...) {
      starting = configured;
      throw;
    }
    return "stage '" + stage().name + "' started" + how;
  }
  check_memory(target);
  grow_to(target, growth, carry);
  return "grown in place to " + to_text(target) + how;
}

}  // namespace tf
