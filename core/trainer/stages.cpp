// Stage transitions of the Trainer: growth at a step boundary and the optimizer rebuild after it.
#include <chrono>

#include "core/checkpoint/initial_weights.h"
#include "core/checkpoint/reader.h"
#include "core/error.h"
#include "core/sizes.h"
#include "core/torch_ops.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

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

void Trainer::start_from(const InitialWeights& weights) {
  const TokenCounts stored = weights.tokens();
  const Stage& first = stages_.front();
  if (stored == first.tokens) {
    weights.load_into(model_);
    log_.info(format("%s (model.init_from): loaded at %s tokens, the first stage's sizes",
                     weights.path().c_str(), to_text(stored).c_str()));
    return;
  }
  if (!stored.within(first.tokens)) {
    throw Error(weights.path() + " (model.init_from) holds " + to_text(stored) +
                " tokens, more than the first stage '" + first.name + "' (" +
                to_text(first.tokens) + "): a run can only start from a model as large or smaller");
  }
  model_ = make_model(stored);
  model_->init_parameters(config_.train.seed);
  weights.load_into(model_);
  const GrowthPolicy policy = config_.model.init_growth;
  grow_model(*model_, first.tokens, policy, config_.train.seed, ++growths_);
  log_.info(format("%s: loaded at %s tokens and grown to %s (growth %s)", weights.path().c_str(),
                   to_text(stored).c_str(), to_text(first.tokens).c_str(), choice_name(policy)));
}

void Trainer::grow_to(const TokenCounts& tokens, GrowthPolicy policy, bool carry_optimizer) {
  grow(tokens, policy, carry_optimizer);
  announce_model();
}

void Trainer::grow(const TokenCounts& tokens, GrowthPolicy policy, bool carry_optimizer) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t before = parameter_count(model_->config());
  if (carry_optimizer) context_.export_optimizer_state(*optimizer_);  // collective
  // Phase 1, on every rank: allocate the grown parameters (and carried moments) beside the old.
  std::optional<PreparedGrowth> prepared;
  // AdamW state is keyed by the parameter's TensorImpl, which growth keeps (set_data).
  std::vector<std::pair<torch::Tensor, std::unique_ptr<torch::optim::AdamWParamState>>> carried;
  std::string failure;
  try {
    prepared.emplace(*model_, tokens, policy, config_.train.seed, growths_ + 1);
    if (carry_optimizer) {
      for (const torch::Tensor& param : model_->parameters()) {
        const auto it = optimizer_->state().find(torch_ops::optimizer_state_key(param));
        if (it == optimizer_->state().end()) continue;
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
    if (context_.owns_optimizer_state()) optimizer_->state().clear();  // the exported copy
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
                             "; the model stays at " + to_text(token_counts(model_->config())));
  }
  // Phase 2 allocates nothing but the new optimizer's empty state.
  ++growths_;
  std::move(*prepared).apply(*model_);
  build_optimizer();
  for (auto& [param, moments] : carried) {
    optimizer_->state()[torch_ops::optimizer_state_key(param)] = std::move(moments);
  }
  context_.attach(model_, *optimizer_, config_.train);  // hooks the regrown parameters
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log_.info(format("grew to %s tokens: %s -> %s parameters in %.3f s (optimizer %s)",
                   to_text(tokens).c_str(), with_commas(before).c_str(),
                   with_commas(parameter_count(model_->config())).c_str(), seconds,
                   carry_optimizer ? "moments carried" : "reset"));
}

bool Trainer::start_next_stage() {
  if (stage_ + 1 >= stages_.size()) return false;
  const Stage& next = stages_[stage_ + 1];
  if (!runs_here(next)) return false;  // compared with this process: a relaunch goes on
  log_.info(format("stage '%s' ends at step %lld", stage().name.c_str(), (long long)step_));
  log_validation(" | before growth");
  grow(next.tokens, next.growth, next.carry_optimizer);
  ++stage_;
  stage_start_ = step_;
  announce_model();
  log_.info(format("stage '%s' starts at step %lld (%lld steps, peak lr %.3e, growth %s)",
                   next.name.c_str(), (long long)step_, (long long)next.steps, next.schedule.peak,
                   choice_name(next.growth)));
  log_validation(" | after growth");
  return true;
}

}  // namespace tf
