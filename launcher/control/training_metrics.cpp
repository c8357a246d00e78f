#include "launcher/control/training_metrics.h"

#include <torch/version.h>

#include <chrono>

#include "core/sizes.h"
#include "core/version.h"

namespace tf::control {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Registry;

prometheus::Gauge& gauge(Registry& registry, const std::string& name, const std::string& help) {
  return BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Counter& counter(Registry& registry, const std::string& name, const std::string& help) {
  return BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TrainingMetrics::TrainingMetrics(const Config& config, const ParallelContext& context)
    : registry_(std::make_shared<Registry>()),
      peak_flops_(config.metrics.peak_flops),
      world_size_(context.world_size()),
      step_(gauge(*registry_, "tokenformer_step", "Optimizer steps taken")),
      tokens_(counter(*registry_, "tokenformer_tokens_total", "Tokens trained on")),
      loss_(BuildGauge()
                .Name("tokenformer_loss")
                .Help("Mean cross-entropy loss (nats) of the last step or validation pass")
                .Register(*registry_)),
      grad_norm_(
          gauge(*registry_, "tokenformer_grad_norm", "Global gradient norm before clipping")),
      learning_rate_(
          gauge(*registry_, "tokenformer_learning_rate", "Learning rate of the last step")),
      step_duration_(
          BuildHistogram()
              .Name("tokenformer_step_duration_seconds")
              .Help("Wall time of one optimizer step")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                               2.5, 5, 10, 30, 60})),
      rank_step_seconds_(BuildGauge()
                             .Name("tokenformer_rank_step_seconds")
                             .Help("Wall time of the last step on each rank")
                             .Register(*registry_)),
      rank_resident_memory_(BuildGauge()
                                .Name("tokenformer_rank_resident_memory_bytes")
                                .Help("Resident memory of each rank's process after its last step")
                                .Register(*registry_)),
      rank_gpu_memory_peak_(
          BuildGauge()
              .Name("tokenformer_rank_gpu_memory_peak_bytes")
              .Help("Peak GPU memory of each rank since the start: what tensors held (allocated) "
                    "and what the caching allocator took from the driver (reserved)")
              .Register(*registry_)),
      skipped_steps_(counter(*registry_, "tokenformer_skipped_steps_total",
                             "Steps whose update was skipped (gradient norm not finite)")),
      tokens_per_second_(gauge(*registry_, "tokenformer_tokens_per_second",
                               "Training throughput of the last step")),
      step_seconds_(
          counter(*registry_, "tokenformer_step_seconds_total", "Time spent in optimizer steps")),
      communication_seconds_(counter(*registry_, "tokenformer_communication_seconds_total",
                                     "Time spent averaging gradients across ranks")),
      data_wait_seconds_(counter(*registry_, "tokenformer_data_wait_seconds_total",
                                 "Time spent waiting for training batches")),
      stage_(
          gauge(*registry_, "tokenformer_stage", "Index of the current progressive-scaling stage")),
      parameters_(gauge(*registry_, "tokenformer_parameters", "Parameters of the model")),
      parameter_tokens_(BuildGauge()
                            .Name("tokenformer_parameter_tokens")
                            .Help("Parameter tokens per Pattention layer, by projection")
                            .Register(*registry_)),
      checkpoint_duration_(
          BuildHistogram()
              .Name("tokenformer_checkpoint_duration_seconds")
              .Help("Wall time of checkpoint saves")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 5, 10, 30, 60, 120, 300,
                                                               600})),
      checkpoints_(BuildCounter()
                       .Name("tokenformer_checkpoints_total")
                       .Help("Checkpoint saves by result")
                       .Register(*registry_)),
      checkpoint_last_success_(gauge(*registry_,
                                     "tokenformer_checkpoint_last_success_timestamp_seconds",
                                     "Unix time of the last successful checkpoint save; 0: none")),
      control_requests_(BuildCounter()
                            .Name("tokenformer_control_requests_total")
                            .Help("Control API calls by method and gRPC status code")
                            .Register(*registry_)) {
  BuildGauge()
      .Name("tokenformer_build_info")
      .Help("Always 1; the labels describe the build")
      .Register(*registry_)
      .Add({{"version", kVersion}, {"torch", TORCH_VERSION}, {"control", "grpc"}})
      .Set(1);
  gauge(*registry_, "tokenformer_start_time_seconds", "Unix time at which the run started")
      .Set(unix_seconds());
  gauge(*registry_, "tokenformer_world_size", "Ranks in the job")
      .Set(static_cast<double>(context.world_size()));
  BuildGauge()
      .Name("tokenformer_layout_info")
      .Help("Always 1; the labels give the parallel layout")
      .Register(*registry_)
      .Add({{"dp", std::to_string(context.dp_size())},
            {"tp", std::to_string(context.token_ops().size())},
            {"pp", std::to_string(context.pp_size())}})
      .Set(1);
  if (peak_flops_ > 0) {
    mfu_ = &gauge(*registry_, "tokenformer_mfu_ratio",
                  "Model FLOP utilisation of the last step (0-1), from metrics.peak_flops");
  }
  for (const char* result : {"success", "failure"}) checkpoints_.Add({{"result", result}});
}

void TrainingMetrics::on_step(const StepStats& s) {
  step_.Set(static_cast<double>(s.step));
  tokens_.Increment(static_cast<double>(s.tokens));
  loss_.Add({{"split", "train"}}).Set(s.loss);
  grad_norm_.Set(s.grad_norm);
  learning_rate_.Set(s.lr);
  step_duration_.Observe(s.seconds);
  if (s.skipped) skipped_steps_.Increment();
  step_seconds_.Increment(s.seconds);
  communication_seconds_.Increment(s.comm_seconds);
  data_wait_seconds_.Increment(s.data_seconds);
  if (s.seconds <= 0) return;
  const double tokens_per_second = static_cast<double>(s.tokens) / s.seconds;
  tokens_per_second_.Set(tokens_per_second);
  if (mfu_) {
    mfu_->Set(
        model_flops_utilisation(tokens_per_second * flops_per_token_, peak_flops_, world_size_));
  }
}

void TrainingMetrics::on_rank_figures(const std::vector<RankFigures>& ranks) {
  for (size_t r = 0; r < ranks.size(); ++r) {
    const std::string rank = std::to_string(r);
    rank_step_seconds_.Add({{"rank", rank}, {"host", ranks[r].host}}).Set(ranks[r].step_seconds);
    rank_resident_memory_.Add({{"rank", rank}}).Set(ranks[r].resident_bytes);
    if (ranks[r].gpu_peak_allocated_bytes < 0) continue;  // a CPU rank
    rank_gpu_memory_peak_.Add({{"rank", rank}, {"kind", "allocated"}})
        .Set(ranks[r].gpu_peak_allocated_bytes);
    rank_gpu_memory_peak_.Add({{"rank", rank}, {"kind", "reserved"}})
        .Set(ranks[r].gpu_peak_reserved_bytes);
  }
}

void TrainingMetrics::on_validation(double loss) { loss_.Add({{"split", "valid"}}).Set(loss); }

void TrainingMetrics::set_model(const ModelState& model) {
  flops_per_token_ = model.training_flops_per_token;
  stage_.Set(static_cast<double>(model.stage_index));
  parameters_.Set(static_cast<double>(model.parameters));
  parameter_tokens_.Add({{"projection", "qkv"}}).Set(static_cast<double>(model.tokens.qkv));
  parameter_tokens_.Add({{"projection", "proj"}}).Set(static_cast<double>(model.tokens.proj));
  parameter_tokens_.Add({{"projection", "ffn"}}).Set(static_cast<double>(model.tokens.ffn));
}

void TrainingMetrics::on_checkpoint(double seconds, bool ok) {
  checkpoints_.Add({{"result", ok ? "success" : "failure"}}).Increment();
  if (!ok) return;
  checkpoint_duration_.Observe(seconds);
  checkpoint_last_success_.Set(unix_seconds());
}

void TrainingMetrics::on_control_reply(const std::string& method, const std::string& code) {
  control_requests_.Add({{"method", method}, {"code", code}}).Increment();
}

}  // namespace tf::control
