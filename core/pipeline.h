// Pipeline parallelism's pure part (DESIGN.md Parallelism): how the parallel.pp stages split the
// layers, and the order in which a stage runs the forward and backward passes of its micro
// batches. parallel/ carries activations and their gradients between stages; the trainer runs
// this order (core/trainer/pipeline_step.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace tf {

// The layers one pipeline stage holds, with the embedding on the first and the last stage.
struct StageLayers {
  int64_t first = 0;   // global index of the stage's first layer
  int64_t count = 0;   // its layers
  bool embeds = true;  // the first stage: looks the input tokens up in the embedding
  bool heads = true;   // the last stage: final norm, tied head and loss
  bool holds_embedding() const { return embeds || heads; }
};

// Every layer, the embedding and the head: the single-stage model.
StageLayers whole_model(const ModelConfig& model);

// Layers per stage, in order. parallel.pp_layers when given; otherwise the contiguous split (each
// stage at least one layer) whose costliest stage is cheapest, where a layer costs its forward
// FLOPs per token, the first stage adds the embedding and the last the final norm, head and loss.
// Computed from `model`'s token counts (core/stages.h's layer_split chooses which). Throws
// tf::Error naming `source` and the key when pp_layers does not fit the model.
std::vector<int64_t> split_layers(const ModelConfig& model, const ParallelConfig& parallel,
                                  const std::string& source);
StageLayers stage_layers(const std::vector<int64_t>& split, int64_t stage);
// "stage 0: layers 0-2 + embedding | stage 1: layer 3 + head", for the banner and --dry-run.
std::string split_text(const std::vector<int64_t>& split);

enum class Pass { kForward, kBackward };
struct PipelineStep {
  Pass pass;
  int64_t micro;  // index of the micro batch within the optimizer step
};

// 1F1B for `stage` of `stages`: min(stages - stage - 1, micro_batches) warm-up forwards, then one
// forward and one backward at a time, then the remaining backwards. At most stages - stage micro
// batches have live activations on the stage at once (stages on the first).
std::vector<PipelineStep> one_f_one_b(int64_t stages, int64_t stage, int64_t micro_batches);
// GPipe, for comparison: every forward, then every backward; all micro batches live at once.
std::vector<PipelineStep> gpipe(int64_t micro_batches);

}  // namespace tf
