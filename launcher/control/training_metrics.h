// The run's Prometheus metrics (docs/operations.md lists them). Owns the registry; the
// MetricsExposer serves it. Updated by the training thread of world rank 0 and by gRPC handler
// threads (control requests); prometheus-cpp metrics are thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/parallel_context.h"
#include "core/trainer/trainer.h"

namespace tf::control {

// What every rank reports after each step; gathered to world rank 0.
struct RankFigures {
  double step_seconds = 0;
  double resident_bytes = 0;  // the process's resident memory
  // Peak GPU memory since the start (the caching allocator's); negative on a CPU rank.
  double gpu_peak_allocated_bytes = -1;
  double gpu_peak_reserved_bytes = -1;
  std::string host;  // where the rank runs
};

class TrainingMetrics {
 public:
  // Sets the constant figures: build info, layout, world size, run start time. The model's come
  // with set_model.
  TrainingMetrics(const Config& config, const ParallelContext& context);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void on_step(const StepStats& stats);
  // Indexed by world rank.
  void on_rank_figures(const std::vector<RankFigures>& ranks);
  void on_validation(double loss);
  // Whenever the Trainer announces the model (start, resume, growth, stage start).
  void set_model(const ModelState& model);
  void on_checkpoint(double seconds, bool ok);
  void on_control_reply(const std::string& method, const std::string& code);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  double flops_per_token_ = 0;  // of the model that trains now
  double peak_flops_;           // per rank (metrics.peak_flops); 0: unknown
  int64_t world_size_;          // ranks whose peaks add up
  prometheus::Gauge& step_;
  prometheus::Counter& tokens_;
  prometheus::Family<prometheus::Gauge>& loss_;
  prometheus::Gauge& grad_norm_;
  prometheus::Gauge& learning_rate_;
  prometheus::Histogram& step_duration_;
  prometheus::Family<prometheus::Gauge>& rank_step_seconds_;
  prometheus::Family<prometheus::Gauge>& rank_resident_memory_;
  prometheus::Family<prometheus::Gauge>& rank_gpu_memory_peak_;
  prometheus::Counter& skipped_steps_;
  prometheus::Gauge& tokens_per_second_;
  prometheus::Gauge* mfu_ = nullptr;  // only with metrics.peak_flops
  prometheus::Counter& step_seconds_;
  prometheus::Counter& communication_seconds_;
  prometheus::Counter& data_wait_seconds_;
  prometheus::Gauge& stage_;
  prometheus::Gauge& parameters_;
  prometheus::Family<prometheus::Gauge>& parameter_tokens_;
  prometheus::Histogram& checkpoint_duration_;
  prometheus::Family<prometheus::Counter>& checkpoints_;
  prometheus::Gauge& checkpoint_last_success_;
  prometheus::Family<prometheus::Counter>& control_requests_;
};

}  // namespace tf::control
