#include "core/memory_estimate.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

#include "core/device.h"
#include "core/layout.h"
#include "core/lm_loss.h"
#include "core/log.h"
#include "core/pattention.h"
#include "core/stages.h"

namespace tf {
namespace {

constexpr double kFloat = 4;

// Rows of a token matrix one rank holds: the larger share of an even split.
double shard_rows(int64_t tokens, int64_t tp) {
  return std::ceil(static_cast<double>(tokens) / static_cast<double>(tp));
}

// "MemAvailable:  123456 kB" from /proc/meminfo, in bytes; 0 when it cannot be read.
double available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  double kib = 0;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

}  // namespace

double resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  double total_pages = 0, resident_pages = 0;
  if (!(statm >> total_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<double>(sysconf(_SC_PAGESIZE));
}

MemoryEstimate estimate_rank_memory(const ModelConfig& m, const TrainConfig& train,
                                    const RankLayout& layout) {
  const double d = static_cast<double>(m.hidden_size);
  const double layers = static_cast<double>(layout.layers > 0 ? layout.layers : m.num_layers);
  const double vocab = static_cast<double>(m.padded_vocab());
  const double qkv = shard_rows(m.qkv_tokens, layout.tp);
  const double proj = shard_rows(m.proj_tokens, layout.tp);
  const double ffn = shard_rows(m.ffn_tokens, layout.tp);
  const double token_rows = 3 * qkv + proj + ffn;  // per layer, this rank
  const double params = layers * 2 * d * token_rows + vocab * d + 2 * d;
  const double dp = static_cast<double>(std::max<int64_t>(layout.dp, 1));

  MemoryEstimate e;
  e.parameters = kFloat * params;
  e.gradients = kFloat * params;
  // The largest single tensor: clipping squares each gradient in fp64 (two temporaries of 8
  // bytes per element) and AdamW's update makes about two fp32 temporaries of it.
  const double largest = d * std::max({vocab, ffn, qkv, proj});
  if (layout.zero1) {
    // Master copy and two moments of this rank's range, two bool masks; the step flattens every
    // gradient, and all-gathers every parameter.
    e.optimizer = (3 * kFloat + 2) * params / dp;
    e.buffers = 2 * kFloat * params;
  } else {
    e.optimizer = 2 * kFloat * params;
    e.buffers = dp > 1 ? kFloat * params : 0;
  }
  e.buffers += (2 * 8 + 2 * kFloat) * largest;
  // Per row of the micro batch (micro_batch x seq_len rows). A Pattention keeps its scores and its
  // activation in the compute dtype, whatever its norm (core/pattention_rows.h). A block keeps
  // about a dozen hidden-size vectors; attention is ATen's fused scaled-dot-product kernel (flash
  // attention on the CPU and on CUDA), which keeps one fp32 log-sum-exp per head and never a [seq x
  // seq] score matrix.
  const double compute = train.precision == Precision::kBf16 ? 2 : kFloat;
  const double seq = static_cast<double>(m.seq_len);
  const double heads = static_cast<double>(m.num_heads);
  const double per_token = 2 * compute;
  const double per_layer = per_token * token_rows + compute * 12 * d + kFloat * heads;
  // The head and loss hold one chunk of fp32 logits at a time (core/lm_loss.h): per row only the
  // final hidden states and their gradient.
  const double head = compute * 4 * d;
  // On top of what is saved, the backward of the widest Pattention holds about one fp32
  // [rows x tokens] tensor's worth: the incoming gradient and ∂L/∂A in the compute dtype (the
  // fused rows write ∂L/∂A directly, core/pattention_rows.h), and in bf16 on a CPU without bf16
  // arithmetic the fp32 operand of a product (core/matmul.h). Fused attention works on blocks of
  // a few rows.
  const double transient = kFloat * std::max({qkv, proj, ffn});
  const double rows = static_cast<double>(train.micro_batch) * seq;
  // Activation checkpointing keeps each block's input (one hidden-size vector) and holds one
  // block's saved activations at a time, while it is recomputed.
  const double blocks = train.activation_checkpointing == ActivationCheckpointing::kLayer
                            ? layers * compute * d + per_layer
                            : layers * per_layer;
  // One chunk's fp32 logits and their gradient, and the compute-dtype copy of the embedding.
  const double chunk_rows = std::min(rows, std::floor(kLossChunkBytes / (kFloat * vocab)));
  const double loss_chunk = 2 * kFloat * chunk_rows * vocab + compute * vocab * d;
  // A pipeline rank keeps the saved activations of every micro batch in flight.
  const double in_flight = static_cast<double>(std::max<int64_t>(layout.in_flight, 1));
  e.activations = rows * (in_flight * blocks + head + transient) + loss_chunk;
  return e;
}

MemoryEstimate estimate_layout_memory(const Config& config, const TokenCounts& tokens,
                                      const ParallelConfig& p, int64_t world_size) {
  const int64_t dp = planned_dp(p, world_size);
  const std::vector<int64_t> split = layer_split(config, p);
  const TrainConfig& train = config.train;
  const int64_t accumulation = std::max<int64_t>(train.global_batch / (train.micro_batch * dp), 1);
  // The first pipeline rank holds the most micro batches.
  const int64_t in_flight = micro_batches_in_flight(p.pp_schedule, p.pp, 0, accumulation);
  return estimate_rank_memory(
      with_token_counts(config.model, tokens), train,
      {p.tp, dp, p.zero1, *std::max_element(split.begin(), split.end()), in_flight});
}

std::vector<StageMemory> estimate_stages_memory(const Config& config,
                                                const std::vector<Stage>& stages,
                                                int64_t world_size, double budget) {
  std::vector<StageMemory> out;
  for (const Stage& stage : stages) {
    const MemoryEstimate need =
        estimate_layout_memory(config, stage.tokens, stage.parallel, world_size);
    out.push_back({&stage, need, need.total() <= budget});
  }
  return out;
}

double cpu_memory_budget(int64_t ranks_on_host) {
  return available_bytes() / static_cast<double>(std::max<int64_t>(ranks_on_host, 1)) +
         resident_memory_bytes();
}

MemoryBudget rank_memory_budget(c10::Device device, int64_t ranks_on_host) {
  if (const auto gpu = device_memory_budget(device)) {
    return {static_cast<double>(*gpu), "its GPU's free memory and what it holds already"};
  }
  return {cpu_memory_budget(ranks_on_host), "its share of the host's available memory"};
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t unit = 0;
  while (std::abs(bytes) >= 1024 && unit + 1 < std::size(units)) {
    bytes /= 1024;
    ++unit;
  }
  if (std::abs(bytes) >= 1024) return format("%.3g %s", bytes, units[unit]);
  return format(unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
}

std::string to_text(const MemoryEstimate& e) {
  return bytes_text(e.total()) + " (parameters " + bytes_text(e.parameters) + ", gradients " +
         bytes_text(e.gradients) + ", AdamW " + bytes_text(e.optimizer) + ", buffers " +
         bytes_text(e.buffers) + ", activations " + bytes_text(e.activations) + ")";
}

}  // namespace tf
