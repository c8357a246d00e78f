// What a run reports of its steps and validations: the log line of a step (every
// train.log_interval steps, the first step a process trains and the last of a stage), the line of
// a validation, and their records in train.metrics_file (core/trainer/metrics_log.h) and
// metrics.tensorboard_dir (core/trainer/tensorboard_log.h), both on world rank 0. Owns both.
// Training thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/device.h"
#include "core/log.h"
#include "core/topology.h"
#include "core/trainer/metrics_log.h"
#include "core/trainer/tensorboard_log.h"

namespace tf {

struct StepStats {
  int64_t step = 0;      // 1-based index of the optimizer step just taken
  double loss = 0;       // mean over the global batch
  double grad_norm = 0;  // before clipping
  double lr = 0;
  double seconds = 0;
  int64_t tokens = 0;       // tokens in the global batch
  double data_seconds = 0;  // waiting for batches
  double comm_seconds = 0;  // averaging gradients over data-parallel ranks
  // The gradient norm was not finite: no parameter or optimizer state changed (the step still
  // counts, its batch is consumed and the schedule moves on).
  bool skipped = false;
  // This rank's peak GPU memory since the start (none on the CPU).
  std::optional<DeviceMemory> device_memory;
};

// Where the run is: added to every metrics record.
struct RunProgress {
  int64_t step = 0;
  std::string stage;        // the current stage's name
  int64_t stage_index = 0;  // its place in the run's stages, from 0
  int64_t parameters = 0;   // of the model as it is now
  int64_t tokens = 0;       // trained on so far
  double flops = 0;         // training FLOPs spent so far
};

// When a validation pass runs: its log line's suffix, and in its record a stage's growth says
// whether the pass saw the model before or after it.
enum class ValidationPoint { kInterval, kBeforeGrowth, kAfterGrowth, kEnd };

class StepReporter {
 public:
  // `config` and `topology` must outlive the reporter.
  StepReporter(const Config& config, const Topology& topology, const Logger& log);

  // Opens train.metrics_file and metrics.tensorboard_dir (world rank 0 only) to continue a run at
  // `step`; before the first report. Throws as MetricsLog and TensorBoardLog.
  void open_metrics(int64_t step);
  // Whether step `step` gets a log line.
  bool due(int64_t step, int64_t first_step, bool stage_end) const;
  // The step's line (throughput, MFU, GPU memory) and record. `flops_per_token`: the model's
  // training FLOPs per token; `total_steps`: the run's length.
  void report_step(const StepStats& stats, double flops_per_token, int64_t total_steps,
                   const RunProgress& at);
  // After a growth, `before` is the loss of the pass before it: the record carries the jump.
  void report_validation(double loss, ValidationPoint point, const RunProgress& at,
                         std::optional<double> before = {});

 private:
  // Adds `at` to `record` and writes it to the metrics file and TensorBoard; a failed write is
  // logged once and training goes on.
  void record(nlohmann::json record, const RunProgress& at);

  const Config& config_;
  const Topology& topology_;
  const Logger& log_;
  MetricsLog metrics_;
  TensorBoardLog tensorboard_;
};

}  // namespace tf
