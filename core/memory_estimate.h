// How much memory one rank needs to train a model, and how much it has. The same estimate guards
// the stages of a config at start-up and every ScaleUp before it grows the model, so that a size
// that cannot fit is refused with both numbers instead of ending the run in an allocation failure.
// All figures are bytes in double precision: absurd token counts (10^12) give large numbers, not
// overflows.
#pragma once

#include <c10/core/Device.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "core/growth.h"

namespace tf {

// How the model is spread over the ranks.
struct RankLayout {
  int64_t tp = 1;      // token-parallel ranks: each holds 1/tp of every Pattention's tokens
  int64_t dp = 1;      // data-parallel ranks
  bool zero1 = false;  // AdamW moments (and an fp32 master copy) sharded over dp
  int64_t layers = 0;  // layers this pipeline rank holds; 0: every layer
  int64_t in_flight =
      1;  // micro batches whose activations the pipeline rank keeps at once (1F1B: pp)
};

struct MemoryEstimate {
  double parameters = 0;   // this rank's fp32 parameters (token shards + replicated embedding)
  double gradients = 0;    // the same shapes
  double optimizer = 0;    // AdamW moments (ZeRO-1: this rank's share, master copy and masks)
  double buffers = 0;      // gradient buckets (dp > 1), ZeRO-1's flat gradients and gather
  double activations = 0;  // what one micro batch's forward and backward hold at their peak

  double total() const { return parameters + gradients + optimizer + buffers + activations; }
};

// Per rank, for `model` at `train`'s micro batch and precision. The activation term counts what
// autograd saves for backward (the Pattention scores and activations, a dozen hidden-size vectors
// per row and block; fused attention keeps no score matrix), plus a chunk of logits and their
// gradient at the loss.
MemoryEstimate estimate_rank_memory(const ModelConfig& model, const TrainConfig& train,
                                    const RankLayout& layout);

// The costliest rank of `config`'s model grown to `tokens` at layout `parallel` on `world_size`
// ranks: the pipeline rank with the most layers (core/stages.h's layer_split), with the first
// pipeline rank's micro batches in flight (1F1B: pp; GPipe: all).
MemoryEstimate estimate_layout_memory(const Config& config, const TokenCounts& tokens,
                                      const ParallelConfig& parallel, int64_t world_size);

struct Stage;

// What a stage of a plan (core/stages.h) needs on its costliest rank, and whether that fits.
struct StageMemory {
  const Stage* stage = nullptr;
  MemoryEstimate need;
  bool fits = false;
};
// estimate_layout_memory for every stage of `stages`, against `budget` bytes.
std::vector<StageMemory> estimate_stages_memory(const Config& config,
                                                const std::vector<Stage>& stages,
                                                int64_t world_size, double budget);

// Bytes this rank may use on the CPU: the host's available memory shared evenly among the
// `ranks_on_host` ranks of the job that run there, plus what this process already holds.
double cpu_memory_budget(int64_t ranks_on_host);

// What one rank may use, and a few words saying where the figure comes from.
struct MemoryBudget {
  double bytes = 0;
  const char* source = "";
};
// On CUDA, the GPU's free memory plus what the caching allocator holds already (the model that
// runs now counts in what an estimate needs); on the CPU, cpu_memory_budget.
MemoryBudget rank_memory_budget(c10::Device device, int64_t ranks_on_host);

// This process's resident memory (0 where /proc is not available).
double resident_memory_bytes();

// "12.3 GiB" style, for messages.
std::string bytes_text(double bytes);
// "3.1 GiB (parameters 0.5 GiB, gradients 0.5 GiB, AdamW 1.0 GiB, buffers 0 B, activations ...)".
std::string to_text(const MemoryEstimate& estimate);

}  // namespace tf
