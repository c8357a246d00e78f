// What every stage of a config needs at a rank count, worked out in one process without a mesh of
// that size (as torchtitan checks a large job on one machine): the launch of the chain that runs
// it and its layout (core/stages.h's plan_jobs, core/layout.h), its batch split, and its memory on
// the costliest rank (core/memory_estimate.h). `tf-launch plan` and `--dry-run` print it; a launch
// checks the same rules again on its live mesh.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config.h"
#include "core/memory_estimate.h"
#include "core/stages.h"

namespace tf {

struct StagePlan {
  Stage stage;
  size_t job = 0;              // index of its launch in plan_jobs' order
  ParallelConfig parallel;     // the launch's layout, dp resolved (0 while the ranks are unknown)
  int64_t ranks = 0;           // tp x pp x dp; 0: unknown (dp auto and no rank count)
  std::vector<int64_t> split;  // layers per pipeline rank
  int64_t accumulation = 0;    // micro batches per step and data-parallel rank; 0: unknown
  MemoryEstimate need;         // on the costliest rank; zero while the ranks are unknown
  MemoryEstimate alternative;  // the same with the other train.activation_checkpointing setting

  bool known() const { return ranks > 0; }
};

// Every stage of `config`, in order, where the stages with dp 0 (auto) run on `ranks` ranks (0:
// unknown; such stages stay unplanned) and a stage with a fixed dp on tp x pp x dp, as the chain
// launches them. Throws tf::Error naming the config and the stage when a layout does not fit
// `ranks`, a token count cannot be split over tp, or the global batch does not split over dp and
// the micro batch.
std::vector<StagePlan> plan_launches(const Config& config, int64_t ranks);

}  // namespace tf
