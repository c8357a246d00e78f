#include "core/trainer/step_reporter.h"

#include <cmath>

#include "core/sizes.h"

namespace tf {

StepReporter::StepReporter(const Config& config, const Topology& topology, const Logger& log)
    : config_(config), topology_(topology), log_(log) {}

void StepReporter::open_metrics(int64_t step) {
  if (!config_.train.metrics_file.empty() && topology_.world_rank() == 0) {
    metrics_ = MetricsLog(config_.train.metrics_file, step);
  }
  if (!config_.metrics.tensorboard_dir.empty() && topology_.world_rank() == 0) {
    tensorboard_ = TensorBoardLog(config_.metrics.tensorboard_dir, step);
    log_.info("TensorBoard event file: " + tensorboard_.path());
  }
}

bool StepReporter::due(int64_t step, int64_t first_step, bool stage_end) const {
  return step % config_.train.log_interval == 0 || step == first_step || stage_end;
}

void StepReporter::record(nlohmann::json record, const RunProgress& at) {
  record["step"] = at.step;
  record["stage"] = at.stage;
  record["stage_index"] = at.stage_index;
  record["parameters"] = at.parameters;
  record["tokens"] = at.tokens;
  record["flops"] = at.flops;
  if (!tensorboard_.write(record)) {
    log_.info(config_.metrics.tensorboard_dir +
              " (metrics.tensorboard_dir): write failed; no more events are written, training "
              "goes on");
  }
  if (!metrics_.write(std::move(record))) {
    log_.info(config_.train.metrics_file +
              " (train.metrics_file): write failed; no more metrics lines are written, training "
              "goes on");
  }
}

void StepReporter::report_step(const StepStats& s, double flops_per_token, int64_t total_steps,
                               const RunProgress& at) {
  const double flops = flops_per_token * s.tokens / s.seconds;
  const double mfu =
      config_.metrics.peak_flops > 0
          ? model_flops_utilisation(flops, config_.metrics.peak_flops, topology_.world_size())
          : 0;
  std::string line = format(
      "step %6lld/%lld | loss %.4f | grad norm %.3f | lr %.3e | %.3f s | %.0f tokens/s | "
      "%.2f GFLOP/s",
      (long long)s.step, (long long)total_steps, s.loss, s.grad_norm, s.lr, s.seconds,
      s.tokens / s.seconds, flops / 1e9);
  if (config_.metrics.peak_flops > 0) {
    line += format(" | MFU %.1f%%", 100 * mfu);
  }
  if (s.device_memory) {
    line += format(" | GPU memory peak %.2f GiB allocated, %.2f GiB reserved",
                   s.device_memory->peak_allocated / double(1 << 30),
                   s.device_memory->peak_reserved / double(1 << 30));
  }
  log_.info(line);
  nlohmann::json fields = {{"kind", "train"},
                           {"loss", s.loss},
                           {"lr", s.lr},
                           {"grad_norm", s.grad_norm},
                           {"tokens_per_s", s.tokens / s.seconds}};
  if (config_.metrics.peak_flops > 0) fields["mfu"] = mfu;
  if (s.device_memory) fields["gpu_memory_peak_bytes"] = s.device_memory->peak_allocated;
  record(std::move(fields), at);
}

void StepReporter::report_validation(double loss, ValidationPoint point, const RunProgress& at,
                                     std::optional<double> before) {
  std::string suffix = point == ValidationPoint::kBeforeGrowth  ? " | before growth"
                       : point == ValidationPoint::kAfterGrowth ? " | after growth"
                       : point == ValidationPoint::kEnd         ? " | done"
                                                                : "";
  const bool jumped = point == ValidationPoint::kAfterGrowth && before;
  if (jumped) {
    const double shown = std::round((loss - *before) * 1e4) / 1e4;
    suffix += format(" (%+.4f)", shown == 0 ? 0.0 : shown);  // never "-0.0000"
  }
  log_.info(format("step %6lld | validation loss %.4f | training FLOPs so far %.4e%s",
                   (long long)at.step, loss, at.flops, suffix.c_str()));
  nlohmann::json fields = {{"kind", "validation"}, {"valid_loss", loss}};
  if (point == ValidationPoint::kBeforeGrowth) fields["growth"] = "before";
  if (point == ValidationPoint::kAfterGrowth) fields["growth"] = "after";
  if (jumped) fields["growth_jump"] = loss - *before;
  record(std::move(fields), at);
}

}  // namespace tf
