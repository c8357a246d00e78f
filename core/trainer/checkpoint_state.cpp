// Trainer's checkpoint methods: the mapping between a running trainer and the tensors and scalars
// of a checkpoint. When to save is core/trainer/checkpoint_policy.h's.
#include <chrono>

#include "core/checkpoint/adamw_state.h"
#include "core/checkpoint/model_tensors.h"
#include "core/checkpoint/stored_model.h"
#include "core/error.h"
#include "core/trainer/trainer.h"

namespace tf {

std::string Trainer::tau_name(size_t local_pattention) const {
  return frozen_scale_name(model_->first_pattention() + static_cast<int64_t>(local_pattention));
}

CheckpointState Trainer::checkpoint_state() {
  GradientSync& sync = context_.gradient_sync();
  // Collective: before any rank returns early.
  if (sync.owns_optimizer_state()) sync.export_optimizer_state(*optimizer_);
  context_.check_tied_embedding();  // collective: the two copies must agree
  CheckpointState state;
  RunState& run = state.run;
  run.step = step_;
  run.stage = stage().name;
  run.stage_index = static_cast<int64_t>(stage_index());
  run.stage_start = scaling_.stage_start();
  run.growths = scaling_.growths();
  run.freeze = scaling_.freeze();
  run.rewarm = scaling_.rewarm();
  run.flops_spent = flops_spent_;
  const int64_t tp = context_.token_ops().size();
  run.layout = {context_.world_size(), context_.dp_size(), tp,
                context_.world_size() / (context_.dp_size() * tp)};
  run.config_yaml = to_yaml(config_);
  run.samples_consumed = samples_consumed_;
  run.data = data_.record;
  run.train_seed = config_.train.seed;
  run.data_seed = config_.data.synthetic.seed;
  run.schedule = stage().schedule;
  // Data-parallel replicas hold copies; only the first writes. Replicated tensors come from the
  // first rank of the token-parallel group, the tied embedding from the first pipeline rank.
  if (context_.dp_rank() != 0) return state;
  // τ frozen by `preserve` growth, per Pattention in model order (absent: the default sqrt(n)).
  const auto layers = model_->pattentions();
  for (size_t i = 0; i < layers.size() && context_.token_ops().rank() == 0; ++i) {
    if (layers[i]->tau_override() == 0) continue;
    state.tensors.push_back(
        {tau_name(i), torch::tensor({layers[i]->tau_override()}, torch::kFloat64), {1}, 0});
  }
  for (const ModelTensor& t : model_tensors(model_)) {
    if (!t.sharded && context_.token_ops().rank() != 0) continue;
    if (t.param.is_same(model_->embedding) && !model_->pipeline_layers().embeds) continue;
    const auto shape = t.global_shape();
    const auto moments = get_adamw_state(*optimizer_, t.param);
    // One entry per row range: after growth under token parallelism a shard holds several.
    int64_t local = 0;
    for (const TokenRange& r : t.rows.ranges) {
      const auto rows = [&](const torch::Tensor& x) {
        return x.detach().narrow(0, local, r.count);
      };
      state.tensors.push_back({t.name, rows(t.param), shape, r.offset});
      if (moments) {
        state.tensors.push_back(
            {"optim." + t.name + ".exp_avg", rows(moments->exp_avg), shape, r.offset});
        state.tensors.push_back(
            {"optim." + t.name + ".exp_avg_sq", rows(moments->exp_avg_sq), shape, r.offset});
      }
      local += r.count;
    }
    if (!moments || context_.token_ops().rank() != 0) continue;
    // AdamW's step is per parameter (the same on every shard); stored as a one-element tensor so
    // every entry has rows, by the first rank of the token-parallel group.
    state.tensors.push_back(
        {"optim." + t.name + ".step", torch::tensor({moments->step}, torch::kInt64), {1}, 0});
  }
  return state;
}

void Trainer::restore(const CheckpointReader& checkpoint) {
  const RunState& run = checkpoint.manifest().run;
  check_data_unchanged(run.data, data_.record, config_.data.allow_change, checkpoint.directory(),
                       log_);
  if (run.stage_index >= static_cast<int64_t>(stages().size())) {
    throw Error(checkpoint.directory() + ": stage " + std::to_string(run.stage_index) + " ('" +
                run.stage + "') is not in this config's " +
                count_of(static_cast<int64_t>(stages().size()), "stage"));
  }
  // A checkpoint taken after growth holds more tokens than a fresh model: grow to its counts
  // first (the values are overwritten below), then rebuild the optimizer for the new shapes.
  const TokenCounts saved = stored_token_counts(checkpoint);
  const TokenCounts now = token_counts(model_->config());
  if (!(saved == now) && now.within(saved)) {
    grow_model(*model_, saved, GrowthPolicy::kZero, config_.train.seed, run.growths);
    build_optimizer();
  }
  check_holds_model(
      checkpoint, model_->config(),
      "To train this run's model, give it a new checkpoint.dir; to start it from this "
      "checkpoint, set model.init_from: " +
          checkpoint.directory() +
          " with a new checkpoint.dir (model.init_from grows a model with fewer parameter "
          "tokens; the other sizes must be the same)");
  torch::NoGradGuard no_grad;
  for (const ModelTensor& t : model_tensors(model_)) {
    t.param.copy_(read_model_rows(checkpoint, t.name, t));
    const std::string prefix = "optim." + t.name + ".";
    if (!checkpoint.has(prefix + "step")) continue;  // saved before the first optimizer step
    AdamWMoments moments;
    moments.exp_avg = read_model_rows(checkpoint, prefix + "exp_avg", t);
    moments.exp_avg_sq = read_model_rows(checkpoint, prefix + "exp_avg_sq", t);
    moments.step = checkpoint.tensor(prefix + "step").item<int64_t>();
    set_adamw_state(*optimizer_, t.param, moments);
  }
  read_frozen_scales(checkpoint, model_);
  attach_gradient_sync();  // ZeRO-1 takes the restored state
  step_ = run.step;
  scaling_.restore(static_cast<size_t>(run.stage_index), run.stage_start, run.growths, run.freeze,
                   run.rewarm);
  flops_spent_ = run.flops_spent;
  samples_consumed_ = run.samples_consumed;
  checkpoints_.on_disk(run.step, checkpoint.directory());
  if (run.train_seed != config_.train.seed) {
    log_.info(
        format("warning: %s was trained with train.seed %llu, this run uses %llu; the data "
               "order differs from the original run",
               checkpoint.directory().c_str(), (unsigned long long)run.train_seed,
               (unsigned long long)config_.train.seed));
  }
  const LrSchedule& was = run.schedule;
  const LrSchedule& now_schedule = stage().schedule;
  const int64_t at = step_ - scaling_.stage_start();
  // Past the stage's end no step is taken, and the trainer says so (Trainer::begin_run).
  if ((was.peak != now_schedule.peak || was.minimum != now_schedule.minimum ||
       was.warmup != now_schedule.warmup || was.total != now_schedule.total) &&
      at < now_schedule.total) {
    log_.info(format(
        "warning: %s was trained with the schedule peak %.3e, minimum %.3e, warm-up %lld, %lld "
        "steps in stage '%s'; this config's is peak %.3e, minimum %.3e, warm-up %lld, %lld steps "
        "(train.lr, min_lr, warmup_steps, steps or the stage's): the next step's learning rate "
        "is %.3e where the checkpoint's schedule gives %.3e",
        checkpoint.directory().c_str(), was.peak, was.minimum, (long long)was.warmup,
        (long long)was.total, stage().name.c_str(), now_schedule.peak, now_schedule.minimum,
        (long long)now_schedule.warmup, (long long)now_schedule.total, now_schedule.at(at),
        was.at(at)));
  }
  scaling_.announce_model();
}

std::string Trainer::save_checkpoint() {
  TF_CHECK(!config_.checkpoint.dir.empty(), "save_checkpoint without checkpoint.dir");
  return checkpoints_.save_unless_saved(step_);
}

std::string Trainer::write_checkpoint() {
  const CheckpointConfig& c = config_.checkpoint;
  PhaseClock::Scope phase(clock_, Phase::kCheckpoint, step_);
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::string dir;
  try {
    dir = tf::save_checkpoint(c.dir, checkpoint_state(), c.keep, checkpoint_sync_);
  } catch (...) {
    if (with_.observer) with_.observer->on_checkpoint(step_, "", seconds());
    throw;
  }
  if (context_.gradient_sync().owns_optimizer_state()) {
    optimizer_->state().clear();  // the exported copy
  }
  if (with_.observer) with_.observer->on_checkpoint(step_, dir, seconds());
  checkpoints_.on_disk(step_, dir);
  if (skipped_in_a_row_ == 0) checkpoints_.set_good(dir);
  log_.info(format("step %6lld | checkpoint saved to %s", (long long)step_, dir.c_str()));
  return dir;
}

bool Trainer::resume_from_latest() {
  const std::string& root = config_.checkpoint.dir;
  if (root.empty()) return false;
  const std::string latest =
      find_latest_checkpoint(root, [&](const std::string& w) { log_.info("warning: " + w); });
  if (latest.empty()) return false;
  restore(CheckpointReader(latest));
  checkpoints_.set_good(latest);
  log_.info(format("resumed from %s: step %lld, %s consumed", latest.c_str(), (long long)step_,
                   count_of(samples_consumed_, "sample").c_str()));
  return true;
}

}  // namespace tf
