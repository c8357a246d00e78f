#include "core/trainer/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/banner.h"
#include "core/checkpoint/initial_weights.h"
#include "core/device.h"
#include "core/error.h"
#include "core/exit_status.h"
#include "core/layout.h"
#include "core/sizes.h"

namespace tf {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Samples [first, first + count) of `source`. A token id outside the vocabulary is found here, as
// the dataset reads it (IndexedDataset): the error names `what` (the step and the data) and ends
// the job before any step uses the batch.
torch::Tensor read_samples(const BatchSource& source, int64_t first, int64_t count,
                           const char* what, int64_t step) {
  try {
    return source.samples(first, count);
  } catch (const Error& e) {
    throw Error(format("step %lld: %s samples %lld to %lld: ", static_cast<long long>(step), what,
                       static_cast<long long>(first), static_cast<long long>(first + count - 1)) +
                e.what());
  }
}

// The layers per pipeline rank, once the config's parallel.pp is the mesh's.
std::vector<int64_t> checked_split(const Config& config, int64_t pp_size) {
  if (config.parallel.pp != pp_size) {
    throw Error(config.source + ": 'parallel.pp' is " + std::to_string(config.parallel.pp) +
                ", the job's mesh has " + count_of(pp_size, "pipeline rank"));
  }
  return layer_split(config, config.parallel);
}

}  // namespace

Trainer::Trainer(const Config& config, ParallelContext& context, const Logger& log,
                 TrainerCollaborators with)
    : config_(config),
      context_(context),
      log_(log),
      with_(std::move(with)),
      checkpoint_sync_(with_.checkpoint_sync ? *with_.checkpoint_sync : local_sync_),
      clock_(with_.clock ? *with_.clock : local_clock_),
      accumulation_(tf::accumulation_steps(config_, context_.dp_size())),
      split_(checked_split(config_, context_.pp_size())),
      scaling_(*this, plan_stages(config_)),
      checkpoints_(config_.checkpoint, log_, [this] { return write_checkpoint(); }),
      reporter_(config_, context_, log_) {
  const TrainConfig& t = config_.train;
  scaling_.check_stages_fit();
  data_ = make_data(config_.data, config_.model.seq_len, config_.model.vocab_size, t.seed);
  model_ = make_model(stages().front().tokens);
  model_->init_parameters(t.seed);  // on the CPU, from CPU generators: the same on every device
  if (!config_.model.init_from.empty()) {
    scaling_.start_from(InitialWeights(config_.model.init_from, config_.model.num_layers));
  } else {
    place_model();
  }
  build_optimizer();
  attach_gradient_sync();
  scaling_.announce_model();
}

TokenFormer Trainer::make_model(const TokenCounts& tokens) const {
  const TokenParallelOps& ops = context_.token_ops();
  return TokenFormer(with_token_counts(config_.model, tokens), ops.size(), ops.rank(),
                     pipeline_layers(split_, context_.pp_rank()));
}

void Trainer::place_model() {
  const TrainConfig& t = config_.train;
  model_->to(context_.device());
  if (t.precision == Precision::kBf16) model_->set_compute_dtype(torch::kBFloat16);
  model_->set_activation_checkpointing(t.activation_checkpointing ==
                                       ActivationCheckpointing::kLayer);
}

void Trainer::build_optimizer() {
  const TrainConfig& t = config_.train;
  auto options = [&](double decay) {
    return torch::optim::AdamWOptions(t.lr)
        .betas({t.beta1, t.beta2})
        .eps(t.eps)
        .weight_decay(decay);
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(model_->decay_parameters(),
                      std::make_unique<torch::optim::AdamWOptions>(options(t.weight_decay)));
  groups.emplace_back(model_->no_decay_parameters(),
                      std::make_unique<torch::optim::AdamWOptions>(options(0.0)));
  optimizer_ = std::make_unique<torch::optim::AdamW>(std::move(groups), options(t.weight_decay));
}

void Trainer::attach_gradient_sync() {
  context_.gradient_sync().attach(model_, *optimizer_, config_.train);
}

RankLayout Trainer::rank_layout() const {
  const int64_t in_flight = micro_batches_in_flight(
      config_.parallel.pp_schedule, context_.pp_size(), context_.pp_rank(), accumulation_);
  return {context_.token_ops().size(), context_.dp_size(),
          context_.gradient_sync().owns_optimizer_state(), model_->pipeline_layers().count,
          in_flight};
}

StepStats Trainer::train_step() {
  const auto start = Clock::now();
  const TrainConfig& t = config_.train;
  model_->train();
  optimizer_->zero_grad();
  const torch::Device device = context_.device();
  double data_seconds = 0;
  // The summed loss stays on the device (the last pipeline rank's; zero on the others): read once
  // per step, no sync per micro batch.
  const torch::Tensor local_loss = forward_backward([&](int64_t micro) {
    const int64_t first =
        first_sample(samples_consumed_, context_.dp_rank(), accumulation_, micro, t.micro_batch);
    const auto data_start = Clock::now();
    torch::Tensor batch =
        to_device(read_samples(*data_.train, first, t.micro_batch, "training", step_ + 1), device);
    data_seconds += seconds_since(data_start);
    return batch;
  });
  StepStats stats;
  stats.data_seconds = data_seconds;
  stats.lr = scaling_.next_lr(step_);
  const SyncedStep synced = context_.gradient_sync().step(
      {model_, *optimizer_, config_.train, stats.lr, scaling_.frozen_at(step_ + 1)});
  stats.grad_norm = synced.grad_norm;
  stats.comm_seconds = synced.comm_seconds;
  // The norm is the same on every rank, so every rank skips alike.
  stats.skipped = !std::isfinite(stats.grad_norm);
  torch::Tensor loss_sum = local_loss;
  context_.sum_over_pp(loss_sum);
  context_.sum_over_dp(loss_sum);
  samples_consumed_ += t.global_batch;
  stats.step = ++step_;
  stats.loss = loss_sum.item<double>() / static_cast<double>(context_.dp_size());
  stats.tokens = t.global_batch * config_.model.seq_len;
  flops_spent_ += training_flops_per_token(model_->config()) * static_cast<double>(stats.tokens);
  stats.seconds = seconds_since(start);  // after loss_sum.item(): the device has finished the step
  if (const auto memory = device_memory(device)) stats.device_memory = *memory;
  if (stats.skipped) {
    log_.info(format("step %6lld | gradient norm %f is not finite: update skipped",
                     (long long)stats.step, stats.grad_norm));
  }
  return stats;
}

double Trainer::evaluate() {
  torch::NoGradGuard no_grad;
  model_->eval();
  const TrainConfig& t = config_.train;
  // The same eval_batches micro batches whatever the layout, dealt round-robin over dp ranks.
  const int64_t dp = context_.dp_size();
  const int64_t count = std::max<int64_t>((t.eval_batches - context_.dp_rank() + dp - 1) / dp, 0);
  torch::Tensor total = forward_only(
      [&](int64_t k) {
        const int64_t i = context_.dp_rank() + k * dp;
        return to_device(
            read_samples(*data_.valid, i * t.micro_batch, t.micro_batch, "validation", step_),
            context_.device());
      },
      count);
  context_.sum_over_pp(total);
  context_.sum_over_dp(total);
  return total.item<double>() / static_cast<double>(t.eval_batches);
}

RunProgress Trainer::progress() const {
  return {step_,
          stage().name,
          int64_t(stage_index()),
          parameter_count(model_->config()),
          samples_consumed_ * config_.model.seq_len,
          flops_spent_};
}

double Trainer::validate() {
  PhaseClock::Scope phase(clock_, Phase::kValidation, step_);
  return evaluate();
}

void Trainer::report_validation(double loss, ValidationPoint point, const RunProgress& at,
                                std::optional<double> before) {
  reporter_.report_validation(loss, point, at, before);
  if (with_.observer) with_.observer->on_validation(at.step, loss);
}

double Trainer::log_validation(ValidationPoint point, std::optional<double> before) {
  const double loss = validate();
  report_validation(loss, point, progress(), before);
  return loss;
}

bool Trainer::preempted() {
  if (!with_.preemption_flag) return false;
  const int64_t mine = with_.preemption_flag() ? 1 : 0;
  return context_.gather_over_world(torch::tensor({mine}, torch::kInt64)).sum().item<int64_t>() > 0;
}

Trainer::RunEnd Trainer::run() {
  if (!started_) start();
  while (!stop_requested_) {
    clock_.enter(Phase::kStep, step_ + 1);
    if (stage_finished()) {
      if (scaling_.is_last()) break;
      if (!advance_stage()) return RunEnd::kLayoutChange;
    }
    if (preempted()) {
      log_.info(format("step %6lld | preempted by a signal: %s", (long long)step_,
                       config_.checkpoint.dir.empty()
                           ? "stopping; nothing is saved without checkpoint.dir"
                           : "saving and stopping; relaunch to resume"));
      checkpoints_.save_unless_saved(step_);
      return RunEnd::kPreempted;
    }
    hold_at_boundary();
    if (stop_requested_) break;
    after_step(train_step());
  }
  checkpoints_.save_unless_saved(step_);
  log_validation(ValidationPoint::kEnd);
  return RunEnd::kFinished;
}

void Trainer::start() {
  TF_CHECK(!started_, "Trainer::start called twice");
  started_ = true;
  resume_from_latest();
  log_banner(config_, model_->config(), context_, log_);
  for (const std::string& line : describe_data(data_.record, config_.train.global_batch,
                                               config_.model.seq_len, total_steps(stages()))) {
    log_.info(line);
  }
  if (config_.checkpoint.dir.empty()) {
    log_.info(
        "checkpoint.dir is not set: this run saves no checkpoint, and what it trains is lost when "
        "it ends, fails or is interrupted");
  }
  first_step_ = step_ + 1;
  if (step_ > 0 && step_ >= total_steps(stages())) {
    log_.info(
        format("step %6lld | nothing left to train: the checkpoint's step %lld is at or past the "
               "end of the last stage ('%s', which ends at step %lld); raise its steps "
               "(train.steps or the stage's) to train further",
               (long long)step_, (long long)step_, stages().back().name.c_str(),
               (long long)total_steps(stages())));
  }
  reporter_.open_metrics(step_);
  scaling_.report_initial_growth();
}

bool Trainer::stage_finished() const { return scaling_.finished_at(step_); }

bool Trainer::advance_stage() {
  bool started = false;
  try {
    started = scaling_.start_next_stage();
  } catch (const GrowthCheckFailed&) {  // the grown model is wrong: save nothing of it
    throw;
  } catch (const Error&) {  // the growth failed on some rank: keep the stage's work
    checkpoints_.save_unless_saved(step_);
    throw;
  }
  if (started) return true;
  const Stage& next = stages()[stage_index() + 1];
  log_.info(format(
      "stage '%s' needs layout %s: relaunch the same command with %s to "
      "continue %s (exit status %d)",
      next.name.c_str(), layout_text(next.parallel).c_str(), ranks_text(next.parallel).c_str(),
      config_.checkpoint.dir.empty()
          ? "(without checkpoint.dir it starts over)"
          : ("from the checkpoint of step " + std::to_string(step_)).c_str(),
      int{kExitRelaunch}));
  checkpoints_.save_unless_saved(step_);
  return false;
}

void Trainer::hold_at_boundary() {
  if (!with_.observer) return;
  clock_.enter(Phase::kIdle, step_);  // a pause may hold here for as long as it likes
  with_.observer->on_step_boundary(*this);
  clock_.enter(Phase::kStep, step_ + 1);
}

void Trainer::after_step(const StepStats& stats) {
  if (with_.observer) with_.observer->on_step(stats);
  check_skipped(stats);
  const bool stage_end = step_ - scaling_.stage_start() == stage().steps;
  if (reporter_.due(stats.step, first_step_, stage_end)) {
    reporter_.report_step(stats, training_flops_per_token(model_->config()), total_steps(stages()),
                          progress());
  }
  checkpoints_.after_step(stats.step, skipped_in_a_row_);
  const int64_t eval_interval = config_.train.eval_interval;
  if (eval_interval > 0 && stats.step % eval_interval == 0 && !stage_end)
    log_validation(ValidationPoint::kInterval);
}

void Trainer::check_skipped(const StepStats& stats) {
  skipped_in_a_row_ = stats.skipped ? skipped_in_a_row_ + 1 : 0;
  const int64_t limit = config_.fault.max_skipped_steps;
  if (limit == 0 || skipped_in_a_row_ < limit) return;
  std::string last = "no checkpoint from before them";
  if (!checkpoints_.good().empty()) {
    last = "the last good checkpoint is " + checkpoints_.good();
    if (!std::filesystem::exists(checkpoints_.good())) last += ", which retention has removed";
  }
  throw RunDiverged(
      format("steps %lld to %lld had a non-finite gradient norm: %lld in a row reach "
             "fault.max_skipped_steps; stopping (%s; resume from it with a lower lr or other data)",
             (long long)(stats.step - skipped_in_a_row_ + 1), (long long)stats.step,
             (long long)skipped_in_a_row_, last.c_str()));
}

}  // namespace tf
