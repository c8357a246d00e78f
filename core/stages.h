// The stage plan of a run (docs/progressive-scaling.md): each stage fixes the token counts, its
// length, its own learning-rate schedule (restarted at the stage start), how its new tokens are
// initialised and what happens to the optimizer state. A config without `stages:` is one stage.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/growth_recipe.h"
#include "core/pipeline.h"
#include "core/schedule.h"

namespace tf {

struct Stage {
  std::string name;
  TokenCounts tokens;
  int64_t steps = 0;
  LrSchedule schedule;  // indexed by the step within the stage
  GrowthRecipe recipe;  // of the growth into this stage (rewarm_steps: of a growth in place)
  ParallelConfig parallel;
};

// Never empty. A stage starts when the previous one has run its steps, or earlier on request.
std::vector<Stage> plan_stages(const Config& config);

// Steps of all stages together (the run's length when no stage starts early).
int64_t total_steps(const std::vector<Stage>& stages);

// The layers per pipeline rank a run of `config` uses at layout `parallel`: parallel.pp_layers
// when given, else the split balanced (core/pipeline.h) at the token counts of the first stage
// that runs at this layout, so that growth in place keeps it and a new layout gets its own (the
// model section's counts when no stage does). Throws tf::Error as split_layers.
std::vector<int64_t> layer_split(const Config& config, const ParallelConfig& parallel);

// Micro batches per step and data-parallel rank: train.global_batch / (micro_batch x dp).
// tf::Error naming the key when it does not divide.
int64_t accumulation_steps(const Config& config, int64_t dp);

// Whether a process that runs at `running` (its dp resolved; 0 when not known) with the layer
// split `split` trains a stage of layout `stage` in place, without a relaunch.
bool runs_in_place(const Config& config, const ParallelConfig& running,
                   const std::vector<int64_t>& split, const ParallelConfig& stage);

// One launch of a chain: the consecutive stages [first, last] that one process layout trains.
struct ChainJob {
  size_t first = 0;
  size_t last = 0;
  ParallelConfig parallel;  // dp resolved when known
  int64_t ranks = 0;        // tp x pp x dp; 0 when dp is "whatever the world gives" and unknown
};
// The launches a run of `config`'s stages needs, in order; `ranks` (> 0) is the world size of
// the stages whose dp is 0, else 0 (unknown). Throws tf::Error as layer_split, and when `ranks`
// is not a multiple of such a stage's tp x pp.
std::vector<ChainJob> plan_jobs(const Config& config, int64_t ranks);

}  // namespace tf
