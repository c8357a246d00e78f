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
#include "core/torch_ops.h"

namespace tf {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Sum of the squared gradients of `params`, in fp64 on `device` (no host round trip per tensor).
torch::Tensor sum_of_squares(const std::vector<torch::Tensor>& params, torch::Device device) {
  torch::Tensor total = fp64_zero(device);
  for (const auto& p : params) {
    if (p.grad().defined()) total += p.grad().to(torch::kFloat64).square().sum();
  }
  return total;
}

}  // namespace

Trainer::Trainer(const Config& config, ParallelContext& context, const Logger& log)
    : config_(config), context_(context), log_(log) {
  const TrainConfig& t = config_.train;
  accumulation_ = tf::accumulation_steps(config_, context_.dp_size());
  if (config_.parallel.pp != context_.pp_size()) {
    throw Error(config_.source + ": 'parallel.pp' is " + std::to_string(config_.parallel.pp) +
                ", the job's mesh has " + count_of(context_.pp_size(), "stage"));
  }
  split_ = layer_split(config_, config_.parallel);
  stages_ = plan_stages(config_);
  check_stages_fit();
  model_ = make_model(stages_[0].tokens);
  model_->init_parameters(t.seed);  // on the CPU, from CPU generators: the same on every device
  if (!config_.model.init_from.empty()) {
    start_from(InitialWeights(config_.model.init_from, config_.model.num_layers));
  }
  model_->to(context_.device());
  const bool fused_rows = config_.model.norm == PattentionNorm::kL2NormGelu;
  if (context_.device().is_cuda() && !fused_rows) {
    log_.info(std::string("note: model.norm ") + choice_name(config_.model.norm) +
              " runs on LibTorch ops; the fused row kernels cover " +
              choice_name(PattentionNorm::kL2NormGelu) + " only");
  }
  if (t.precision == Precision::kBf16) model_->set_compute_dtype(torch::kBFloat16);
  model_->set_activation_checkpointing(t.activation_checkpointing ==
                                       ActivationCheckpointing::kLayer);
  data_ = make_data(config_.data, config_.model.seq_len, config_.model.vocab_size, t.seed, &log_);
  build_optimizer();
  context_.attach(model_, *optimizer_, t);
}

TokenFormer Trainer::make_model(const TokenCounts& tokens) const {
  const TokenParallelOps& ops = context_.token_ops();
  return TokenFormer(with_token_counts(config_.model, tokens), ops.size(), ops.rank(),
                     pipeline_layers(split_, context_.pp_rank()));
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

double Trainer::clip_gradients() {
  // Token shards are disjoint across the token-parallel group; everything else is replicated there.
  // Pipeline stages hold disjoint layers; the tied embedding counts once, on the first stage.
  std::vector<torch::Tensor> sharded, replicated;
  if (model_->pipeline_layers().embeds) replicated.push_back(model_->embedding);
  for (const auto& layer : model_->pattentions()) {
    sharded.push_back(layer->key_tokens);
    sharded.push_back(layer->value_tokens);
  }
  for (const auto& p : model_->no_decay_parameters()) replicated.push_back(p);
  const torch::Device device = context_.device();
  torch::Tensor shard_sq = sum_of_squares(sharded, device);
  context_.sum_over_tp(shard_sq);
  torch::Tensor stage_sq = shard_sq + sum_of_squares(replicated, device);
  context_.sum_over_pp(stage_sq);
  const double norm = stage_sq.sqrt().item<double>();
  const double max_norm = config_.train.grad_clip;
  if (max_norm > 0 && norm > max_norm) {
    const double factor = max_norm / (norm + 1e-6);
    for (const auto& p : model_->parameters()) {
      if (p.grad().defined()) p.grad().mul_(factor);
    }
  }
  return norm;
}

StepStats Trainer::train_step() {
  const auto start = Clock::now();
  const TrainConfig& t = config_.train;
  model_->train();
  optimizer_->zero_grad();
  const torch::Device device = context_.device();
  double data_seconds = 0;
  // The summed loss stays on the device (the last stage's; zero on the others): read once per
  // step, no sync per micro batch.
  const torch::Tensor local_loss = forward_backward([&](int64_t micro) {
    const int64_t first =
        first_sample(samples_consumed_, context_.dp_rank(), accumulation_, micro, t.micro_batch);
    const auto data_start = Clock::now();
    torch::Tensor batch = to_device(data_.train->samples(first, t.micro_batch), device);
    data_seconds += seconds_since(data_start);
    return batch;
  });
  StepStats stats;
  stats.data_seconds = data_seconds;
  stats.lr = stage().schedule.at(step_ - stage_start_);
  const auto comm_start = Clock::now();
  if (const std::optional<double> norm = context_.sharded_step(stats.lr)) {
    stats.grad_norm = *norm;  // ZeRO-1: reduce-scatter, clip, own shard's update, all-gather
    stats.comm_seconds = seconds_since(comm_start);
  } else {
    context_.average_gradients(model_->parameters());
    stats.comm_seconds = seconds_since(comm_start);
    stats.grad_norm = clip_gradients();
    if (std::isfinite(stats.grad_norm)) {
      for (auto& group : optimizer_->param_groups()) {
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(stats.lr);
      }
      torch_ops::adamw_step(*optimizer_);
    }
  }
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
        return to_device(data_.valid->samples(i * t.micro_batch, t.micro_batch), context_.device());
      },
      count);
  context_.sum_over_pp(total);
  context_.sum_over_dp(total);
  return total.item<double>() / static_cast<double>(t.eval_batches);
}

void Trainer::log_validation(const char* suffix) {
  PhaseClock::Scope phase(*clock_, Phase::kValidation, step_);
  const double loss = evaluate();
  log_.info(format("step %6lld | validation loss %.4f | training FLOPs so far %.4e%s",
                   (long long)step_, loss, flops_spent_, suffix));
  record_metrics({{"kind", "validation"}, {"valid_loss", loss}});
  if (observer_) observer_->on_validation(step_, loss);
}

void Trainer::record_metrics(nlohmann::json record) {
  record["step"] = step_;
  record["stage"] = stage().name;
  record["tokens"] = samples_consumed_ * config_.model.seq_len;
  record["flops"] = flops_spent_;
  if (!metrics_.write(std::move(record))) {
    log_.info(config_.train.metrics_file +
              " (train.metrics_file): write failed; no more metrics lines are written, training "
              "goes on");
  }
}

void Trainer::log_step(const StepStats& s) {
  const double flops = training_flops_per_token(model_->config()) * s.tokens / s.seconds;
  std::string line = format(
      "step %6lld/%lld | loss %.4f | grad norm %.3f | lr %.3e | %.3f s | %.0f tokens/s | "
      "%.2f GFLOP/s",
      (long long)s.step, (long long)total_steps(stages_), s.loss, s.grad_norm, s.lr, s.seconds,
      s.tokens / s.seconds, flops / 1e9);
  if (config_.metrics.peak_flops > 0) {
    line += format(" | MFU %.1f%%", 100 * model_flops_utilisation(flops, config_.metrics.peak_flops,
                                                                  context_.world_size()));
  }
  if (s.device_memory) {
    line += format(" | GPU memory peak %.2f GiB allocated, %.2f GiB reserved",
                   s.device_memory->peak_allocated / double(1 << 30),
                   s.device_memory->peak_reserved / double(1 << 30));
  }
  log_.info(line);
  record_metrics({{"kind", "train"},
                  {"loss", s.loss},
                  {"lr", s.lr},
                  {"grad_norm", s.grad_norm},
                  {"tokens_per_s", s.tokens / s.seconds}});
}

bool Trainer::preempted() {
  if (!preemption_flag_) return false;
  const int64_t mine = preemption_flag_() ? 1 : 0;
  return context_.gather_over_world(torch::tensor({mine}, torch::kInt64)).sum().item<int64_t>() > 0;
}

Trainer::RunEnd Trainer::run() {
  resume_from_latest();
  log_banner(config_, model_->config(), context_, log_);
  const int64_t first_step = step_ + 1;  // the first this process trains: always logged
  if (step_ > 0 && step_ >= total_steps(stages_)) {
    log_.info(
        format("step %6lld | nothing left to train: the checkpoint is the end of the last "
               "stage ('%s'); raise its steps to train further",
               (long long)step_, stages_.back().name.c_str()));
  }
  if (!config_.train.metrics_file.empty() && context_.world_rank() == 0) {
    metrics_ = MetricsLog(config_.train.metrics_file, step_);
  }
  const TrainConfig& t = config_.train;
  const CheckpointConfig& c = config_.checkpoint;
  while (!stop_requested_) {
    clock_->enter(Phase::kStep, step_ + 1);
    if (step_ - stage_start_ >= stage().steps) {
      if (stage_ + 1 == stages_.size()) break;
      bool started = false;
      try {
        started = start_next_stage();
      } catch (const Error&) {  // the growth failed on some rank: keep the stage's work
        if (!c.dir.empty() && saved_step_ != step_) save_checkpoint();
        throw;
      }
      if (!started) {
        const ParallelConfig& next = stages_[stage_ + 1].parallel;
        log_.info(format(
            "stage '%s' needs layout %s: relaunch the same command with %s to "
            "continue %s (exit status %d)",
            stages_[stage_ + 1].name.c_str(), layout_text(next).c_str(), ranks_text(next).c_str(),
            c.dir.empty() ? "(without checkpoint.dir it starts over)"
                          : ("from the checkpoint of step " + std::to_string(step_)).c_str(),
            int{kExitRelaunch}));
        if (!c.dir.empty() && saved_step_ != step_) save_checkpoint();
        return RunEnd::kLayoutChange;
      }
    }
    if (preempted()) {
      log_.info(
          format("step %6lld | preempted by a signal: saving and stopping; relaunch to resume",
                 (long long)step_));
      if (!c.dir.empty() && saved_step_ != step_) save_checkpoint();
      return RunEnd::kPreempted;
    }
    if (observer_) {
      clock_->enter(Phase::kIdle, step_);  // a pause may hold here for as long as it likes
      observer_->on_step_boundary(*this);
      clock_->enter(Phase::kStep, step_ + 1);
    }
    if (stop_requested_) break;
    const StepStats stats = train_step();
    if (observer_) observer_->on_step(stats);
    check_skipped(stats);
    const bool stage_end = step_ - stage_start_ == stage().steps;
    if (stats.step % t.log_interval == 0 || stats.step == first_step || stage_end) {
      log_step(stats);
    }
    if (!c.dir.empty() && c.interval > 0 && stats.step % c.interval == 0) {
      if (skipped_in_a_row_ == 0) {
        save_checkpoint();
      } else {  // keep retention from pushing out the checkpoints from before the bad steps
        log_.info(
            format("step %6lld | periodic checkpoint skipped: the last %lld updates were "
                   "skipped",
                   (long long)step_, (long long)skipped_in_a_row_));
      }
    }
    if (t.eval_interval > 0 && stats.step % t.eval_interval == 0 && !stage_end) {
      log_validation("");
    }
  }
  if (!c.dir.empty() && saved_step_ != step_) save_checkpoint();
  log_validation(" | done");
  return RunEnd::kFinished;
}

void Trainer::check_skipped(const StepStats& stats) {
  skipped_in_a_row_ = stats.skipped ? skipped_in_a_row_ + 1 : 0;
  const int64_t limit = config_.fault.max_skipped_steps;
  if (limit == 0 || skipped_in_a_row_ < limit) return;
  std::string last = "no checkpoint from before them";
  if (!good_checkpoint_.empty()) {
    last = "the last good checkpoint is " + good_checkpoint_;
    if (!std::filesystem::exists(good_checkpoint_)) last += ", which retention has removed";
  }
  throw RunDiverged(
      format("steps %lld to %lld had a non-finite gradient norm: %lld in a row reach "
             "fault.max_skipped_steps; stopping (%s; resume from it with a lower lr or other data)",
             (long long)(stats.step - skipped_in_a_row_ + 1), (long long)stats.step,
             (long long)skipped_in_a_row_, last.c_str()));
}

}  // namespace tf
