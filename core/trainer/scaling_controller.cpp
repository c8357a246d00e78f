#include "core/trainer/scaling_controller.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/checkpoint/initial_weights.h"
#include "core/checkpoint/reader.h"
#include "core/device.h"
#include "core/error.h"
#include "core/sizes.h"
#include "core/torch_ops.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

using Reason = ScaleUpRefused::Reason;

// Moments of the old rows, zeros for the rows growth appends at the end of the local shard.
torch::Tensor pad_rows(const torch::Tensor& old, int64_t rows) {
  if (old.dim() < 2 || old.size(0) == rows) return old;
  const auto extra = torch::zeros({rows - old.size(0), old.size(1)}, old.options());
  return torch::cat({old, extra});
}

}  // namespace

Stage launch_stage(const Config& config) {
  const std::vector<Stage> stages = plan_stages(config);
  const std::string latest =
      find_latest_checkpoint(config.checkpoint.dir, [](const std::string&) {});
  if (latest.empty()) return stages.front();
  const RunState run = CheckpointReader(latest).manifest().run;
  const auto index = static_cast<size_t>(run.stage_index);
  if (index >= stages.size()) return stages.back();  // Trainer::restore names the mismatch
  const bool ended = run.step - run.stage_start >= stages[index].steps;
  return ended && index + 1 < stages.size() ? stages[index + 1] : stages[index];
}

ScalingController::ScalingController(Trainer& trainer, std::vector<Stage> stages)
    : t_(trainer),
      config_(trainer.config_),
      context_(trainer.context_),
      log_(trainer.log_),
      stages_(std::move(stages)) {}

GrowthRecipe GrowthChoice::applied_to(GrowthRecipe base) const {
  if (growth) base.policy = *growth;
  if (carry_optimizer) base.carry_optimizer = *carry_optimizer;
  if (noise) base.noise = *noise;
  if (freeze_old_steps) base.freeze_old_steps = *freeze_old_steps;
  if (rewarm_steps) base.rewarm_steps = *rewarm_steps;
  return base;
}

double preservation_tolerance(Precision precision) {
  return precision == Precision::kBf16 ? 5e-3 : 1e-5;
}

std::string preservation_failure(double before, double after, const GrowthRecipe& recipe,
                                 double tolerance) {
  if (!recipe.preserves_function()) return "";
  const double change = std::abs(after - before) / std::max(std::abs(before), 1e-30);
  if (change <= tolerance) return "";
  return format(
      "growth %s without noise must keep the validation loss, but it went from %.9g to %.9g (a "
      "relative change of %.3g, above the tolerance %.1g): the grown model does not compute the "
      "function it grew from, which is a bug; the run stops without saving the grown model",
      choice_name(recipe.policy), before, after, change, tolerance);
}

void ScalingController::restore(size_t index, int64_t stage_start, int64_t growths,
                                const TokenFreeze& freeze, const Rewarm& rewarm) {
  index_ = index;
  start_ = stage_start;
  growths_ = growths;
  freeze_ = freeze;
  rewarm_ = rewarm;
}

double ScalingController::next_lr(int64_t step) const {
  return stage().schedule.at(step - start_) * rewarm_.factor(step + 1);
}

std::vector<FrozenRows> ScalingController::frozen_at(int64_t step) const {
  if (!freeze_.active_at(step)) return {};
  return frozen_rows(*t_.model_, freeze_.tokens);
}

void ScalingController::start_from(const InitialWeights& weights) {
  const TokenCounts stored = weights.tokens();
  const Stage& first = stages_.front();
  t_.flops_spent_ = weights.flops_spent();  // the chain's FLOPs go on from the weights' own
  if (stored == first.tokens) {
    weights.load_into(t_.model_);
    t_.place_model();
    log_.info(format("%s (model.init_from): loaded at %s tokens, the first stage's sizes",
                     weights.path().c_str(), to_text(stored).c_str()));
    return;
  }
  if (!stored.within(first.tokens)) {
    throw Error(weights.path() + " (model.init_from) holds " + to_text(stored) +
                " tokens, more than the first stage '" + first.name + "' (" +
                to_text(first.tokens) + "): a run can only start from a model as large or smaller");
  }
  t_.model_ = t_.make_model(stored);
  t_.model_->init_parameters(config_.train.seed);
  weights.load_into(t_.model_);
  t_.place_model();
  const ModelConfig& m = config_.model;
  GrowthRecipe recipe;
  recipe.policy = m.init_growth;
  recipe.noise = m.init_noise;
  recipe.freeze_old_steps = m.init_freeze_steps;
  const double before = t_.evaluate();
  grow_model(*t_.model_, first.tokens, recipe.policy, config_.train.seed, ++growths_, recipe.noise);
  if (recipe.freeze_old_steps > 0) freeze_ = {stored, recipe.freeze_old_steps};
  const double after = t_.evaluate();
  initial_growth_ = std::make_pair(before, after);
  log_.info(format("%s: loaded at %s tokens and grown to %s (%s)", weights.path().c_str(),
                   to_text(stored).c_str(), to_text(first.tokens).c_str(),
                   recipe.describe(false).c_str()));
  const std::string failure =
      preservation_failure(before, after, recipe, preservation_tolerance(config_.train.precision));
  if (!failure.empty()) throw GrowthCheckFailed(weights.path() + " (model.init_from): " + failure);
}

void ScalingController::report_initial_growth() {
  if (!initial_growth_) return;
  const auto [before, after] = *initial_growth_;
  initial_growth_.reset();
  if (t_.step_ != 0) return;  // a resumed run reported them when it started
  t_.reporter_.report_validation(before, ValidationPoint::kBeforeGrowth, t_.progress());
  t_.reporter_.report_validation(after, ValidationPoint::kAfterGrowth, t_.progress(), before);
}

void ScalingController::grow_to(const TokenCounts& tokens, const GrowthRecipe& recipe) {
  // Reported once the growth has happened: a refused one leaves no trace in the metrics.
  const RunProgress at = t_.progress();
  const double before = t_.validate();
  grow(tokens, recipe);
  t_.report_validation(before, ValidationPoint::kBeforeGrowth, at);
  rewarm_ = {t_.step_, recipe.rewarm_steps};
  announce_model();
  check_growth(before, recipe);
}

void ScalingController::check_growth(double before, const GrowthRecipe& recipe) {
  const double after = t_.log_validation(ValidationPoint::kAfterGrowth, before);
  const std::string failure =
      preservation_failure(before, after, recipe, preservation_tolerance(config_.train.precision));
  if (!failure.empty()) {
    throw GrowthCheckFailed(format("step %lld: ", (long long)t_.step_) + failure);
  }
}

void ScalingController::grow(const TokenCounts& tokens, const GrowthRecipe& recipe) {
  const auto start = std::chrono::steady_clock::now();
  const TokenCounts old = token_counts(t_.model_->config());
  const int64_t before = parameter_count(t_.model_->config());
  const bool carry_optimizer = recipe.carry_optimizer;
  GradientSync& sync = context_.gradient_sync();
  if (carry_optimizer && sync.owns_optimizer_state()) {
    sync.export_optimizer_state(*t_.optimizer_);  // collective
  }
  // Phase 1, on every rank: allocate the grown parameters (and carried moments) beside the old.
  std::optional<PreparedGrowth> prepared;
  // AdamW state is keyed by the parameter's TensorImpl, which growth keeps (set_data).
  std::vector<std::pair<torch::Tensor, std::unique_ptr<torch::optim::AdamWParamState>>> carried;
  std::string failure;
  try {
    prepared.emplace(*t_.model_, tokens, recipe.policy, config_.train.seed, growths_ + 1,
                     recipe.noise);
    if (carry_optimizer) {
      for (const torch::Tensor& param : t_.model_->parameters()) {
        const auto it = t_.optimizer_->state().find(torch_ops::optimizer_state_key(param));
        if (it == t_.optimizer_->state().end()) continue;
        auto moments = std::make_unique<torch::optim::AdamWParamState>(
            static_cast<torch::optim::AdamWParamState&>(*it->second));
        moments->exp_avg(pad_rows(moments->exp_avg(), prepared->rows_after(param)));
        moments->exp_avg_sq(pad_rows(moments->exp_avg_sq(), prepared->rows_after(param)));
        carried.emplace_back(param, std::move(moments));
      }
    }
  } catch (const std::exception& e) {
    failure = e.what();
    log_.every_rank(
        format("growth to %s tokens failed here: %s", to_text(tokens).c_str(), failure.c_str()));
  }
  // Every rank learns which ranks failed, so that all keep the old model together.
  const torch::Tensor failed = context_.gather_over_world(
      torch::tensor({failure.empty() ? int64_t{0} : int64_t{1}}, torch::kInt64));
  if (failed.sum().item<int64_t>() > 0) {
    if (sync.owns_optimizer_state()) t_.optimizer_->state().clear();  // the exported copy
    std::string ranks;
    int64_t count = 0;
    for (int64_t r = 0; r < failed.numel(); ++r) {
      if (failed[r].item<int64_t>() != 0) {
        ranks += (ranks.empty() ? " " : ", ") + std::to_string(r);
        ++count;
      }
    }
    throw ScaleUpRefused(ScaleUpRefused::Reason::kGrowthFailed,
                         "growth to " + to_text(tokens) + " tokens failed on " +
                             (count == 1 ? "rank" : "ranks") + ranks +
                             (failure.empty() ? " (their logs say why)" : " (" + failure + ")") +
                             "; the model stays at " + to_text(token_counts(t_.model_->config())));
  }
  // Phase 2 allocates nothing but the new optimizer's empty state.
  ++growths_;
  std::move(*prepared).apply(*t_.model_);
  t_.build_optimizer();
  for (auto& [param, moments] : carried) {
    t_.optimizer_->state()[torch_ops::optimizer_state_key(param)] = std::move(moments);
  }
  t_.attach_gradient_sync();  // hooks the regrown parameters
  freeze_ = recipe.freeze_old_steps > 0 ? TokenFreeze{old, t_.step_ + recipe.freeze_old_steps}
                                        : TokenFreeze{};
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log_.info(format(
      "grew to %s tokens: %s -> %s parameters in %.3f s (optimizer %s%s)", to_text(tokens).c_str(),
      with_commas(before).c_str(), with_commas(parameter_count(t_.model_->config())).c_str(),
      seconds, carry_optimizer ? "moments carried" : "reset",
      freeze_.until > 0
          ? format("; old tokens frozen to step %lld", (long long)freeze_.until).c_str()
          : ""));
}

bool ScalingController::start_next_stage() {
  if (index_ + 1 >= stages_.size()) return false;
  const Stage& next = stages_[index_ + 1];
  if (!runs_here(next)) return false;  // compared with this process: a relaunch goes on
  log_.info(format("stage '%s' ends at step %lld", stage().name.c_str(), (long long)t_.step_));
  const double before = t_.log_validation(ValidationPoint::kBeforeGrowth);
  grow(next.tokens, next.recipe);
  ++index_;
  start_ = t_.step_;
  rewarm_ = {};  // the stage's own schedule warms up
  announce_model();
  log_.info(format("stage '%s' starts at step %lld (%lld steps, peak lr %.3e, %s)",
                   next.name.c_str(), (long long)t_.step_, (long long)next.steps,
                   next.schedule.peak, next.recipe.describe(false).c_str()));
  check_growth(before, next.recipe);
  return true;
}

bool ScalingController::runs_here(const Stage& stage) const {
  ParallelConfig running;
  running.tp = context_.token_ops().size();
  running.pp = context_.pp_size();
  running.dp = context_.dp_size();
  running.zero1 = context_.gradient_sync().owns_optimizer_state();
  return runs_in_place(config_, running, t_.split_, stage.parallel);
}

ModelState ScalingController::model_state() const {
  ModelState state;
  state.stage_index = static_cast<int64_t>(index_);
  state.stage = stage().name;  // "main" for a run without stages
  state.tokens = token_counts(t_.model_->config());
  state.parameters = parameter_count(t_.model_->config());
  state.training_flops_per_token = training_flops_per_token(t_.model_->config());
  state.total_steps = start_;
  for (size_t i = index_; i < stages_.size(); ++i) state.total_steps += stages_[i].steps;
  return state;
}

void ScalingController::announce_model() const {
  if (t_.with_.observer) t_.with_.observer->on_model_change(model_state());
}

MemoryBudget ScalingController::memory_budget() const {
  return rank_memory_budget(context_.device(), context_.ranks_on_host());
}

void ScalingController::check_stages_fit() const {
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

void ScalingController::check_memory(const TokenCounts& tokens) {
  const MemoryEstimate need = estimate_rank_memory(with_token_counts(t_.model_->config(), tokens),
                                                   config_.train, t_.rank_layout());
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
                             "; the model stays at " + to_text(token_counts(t_.model_->config())));
  }
}

std::string ScalingController::scale_up(const std::optional<TokenCounts>& requested,
                                        const GrowthChoice& choice) {
  const TokenCounts now = token_counts(t_.model_->config());
  const Stage* next = index_ + 1 < stages_.size() ? &stages_[index_ + 1] : nullptr;
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
  // In place: GrowthRecipe's defaults, re-warming over the current stage's warm-up.
  GrowthRecipe base;
  base.rewarm_steps = stage().recipe.rewarm_steps;
  const GrowthRecipe recipe = choice.applied_to(starts_next ? next->recipe : base);
  const GrowthPolicy growth = recipe.policy;
  const std::string how = " (" + recipe.describe(!starts_next) + ")";
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
              stage().name + "' (step " + std::to_string(start_ + stage().steps) + ")");
    }
    check_memory(target);
    // The stage starts as the request says; a refused growth leaves the config's rule in place.
    Stage& starting = stages_[index_ + 1];
    const Stage configured = starting;
    starting.recipe = recipe;
    try {
      start_next_stage();
    } catch (...) {
      starting = configured;
      throw;
    }
    return "stage '" + stage().name + "' started" + how;
  }
  check_memory(target);
  grow_to(target, recipe);
  return "grown in place to " + to_text(target) + how;
}

}  // namespace tf
