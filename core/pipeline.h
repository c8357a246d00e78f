// Pipeline parallelism's pure part (docs/parallel.md, Pipeline parallelism): how the parallel.pp
// pipeline ranks split the layers, and the order in which a pipeline rank runs the forward and
// backward passes of its micro batches. parallel/ carries activations and their gradients between
// pipeline ranks; the trainer runs this order (core/trainer/pipeline_step.cpp). "Stage" is kept
// for the progressive-scaling stages of core/stages.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace tf {

// The layers one pipeline rank holds, with the embedding on the first and the last pipeline rank.
struct PipelineLayers {
  int64_t first = 0;   // global index of the pipeline rank's first layer
  int64_t count = 0;   // its layers
  bool embeds = true;  // the first pipeline rank: looks the input tokens up in the embedding
  bool heads = true;   // the last pipeline rank: final norm, tied head and loss
  bool holds_embedding() const { return embeds || heads; }
};

// Every layer, the embedding and the head: the model without pipelining.
PipelineLayers whole_model(const ModelConfig& model);

// Layers per pipeline rank, in order. parallel.pp_layers when given; otherwise the contiguous
// split (each pipeline rank at least one layer) whose costliest pipeline rank is cheapest, where a
// layer costs its forward FLOPs per token, the first pipeline rank adds the embedding and the last
// the final norm, head and loss. Computed from `model`'s token counts (core/stages.h's
// layer_split chooses which). Throws tf::Error as check_layer_split (core/config.h).
std::vector<int64_t> split_layers(const ModelConfig& model, const ParallelConfig& parallel,
                                  const std::string& source);
PipelineLayers pipeline_layers(const std::vector<int64_t>& split, int64_t pp_rank);
// "pp rank 0: layers 0-2 + embedding | pp rank 1: layer 3 + head", for the banner and --dry-run.
std::string split_text(const std::vector<int64_t>& split);

enum class Pass { kForward, kBackward };
struct PipelineStep {
  Pass pass;
  int64_t micro;  // index of the micro batch within the optimizer step
};

// 1F1B for pipeline rank `pp_rank` of `pp_size`: min(pp_size - pp_rank - 1, micro_batches)
// warm-up forwards, then one forward and one backward at a time, then the remaining backwards. At
// most pp_size - pp_rank micro batches have live activations on it at once (pp_size on the first).
std::vector<PipelineStep> one_f_one_b(int64_t pp_size, int64_t pp_rank, int64_t micro_batches);
// GPipe, for comparison: every forward, then every backward; all micro batches live at once.
std::vector<PipelineStep> gpipe(int64_t micro_batches);

// The order of pipeline rank `pp_rank` of `pp_size` under `schedule` (parallel.pp_schedule): the
// one place that dispatches on the schedule.
std::vector<PipelineStep> schedule_order(PipelineSchedule schedule, int64_t pp_size,
                                         int64_t pp_rank, int64_t micro_batches);
// Micro batches whose activations are alive at once on pipeline rank `pp_rank` under
// `schedule`: what its activation memory scales with (core/memory_estimate.h).
int64_t micro_batches_in_flight(PipelineSchedule schedule, int64_t pp_size, int64_t pp_rank,
                                int64_t micro_batches);

}  // namespace tf
