// Progressive scaling (SPEC.md section 4): grow every Pattention from n to n + m tokens by
// appending rows to K and V. Old tokens keep their values; new ones follow a policy.
#pragma once

#include <cstdint>
#include <string>

#include "core/model.h"

namespace tf {

enum class GrowthPolicy {
  kZero,      // K_new = 0, V_new ~ init; τ follows the new n (changes old activations)
  kNormal,    // K_new, V_new ~ the authors' init; τ follows the new n
  kPreserve,  // K_new = 0, V_new ~ init, τ frozen: the grown model computes the same function
};

// Parses the config spelling (zero | normal | preserve).
GrowthPolicy parse_growth(const std::string& name);
const char* growth_name(GrowthPolicy policy);

struct TokenCounts {
  int64_t qkv = 0, proj = 0, ffn = 0;
  bool operator==(const TokenCounts& o) const {
    return qkv == o.qkv && proj == o.proj && ffn == o.ffn;
  }
  // No count above `o`'s (what growth to `o` needs).
  bool within(const TokenCounts& o) const {
    return qkv <= o.qkv && proj <= o.proj && ffn <= o.ffn;
  }
};

// "qkv 16, proj 16, ffn 64", for messages.
std::string to_text(const TokenCounts& counts);

TokenCounts token_counts(const ModelConfig& model);
ModelConfig with_token_counts(ModelConfig model, const TokenCounts& counts);

// Grows `model` in place to `target` (global counts; never fewer than now, else tf::Error).
// Each rank appends its share of the new rows (the new block split like a fresh layer), so shards
// stay balanced and no data moves. New rows are drawn whole from generators seeded by
// (seed, growth_index, layer), then sliced: every layout grows to the same set of tokens.
// Parameters keep their identity with new shapes: optimizers must be rebuilt afterwards.
void grow_model(TokenFormerImpl& model, const TokenCounts& target, GrowthPolicy policy,
                uint64_t seed, int64_t growth_index);

}  // namespace tf
