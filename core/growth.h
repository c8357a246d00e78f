// Progressive scaling (docs/model.md, Growth): grow every Pattention from n to n + m tokens by
// appending rows to K and V. Old tokens keep their values; new ones follow a policy.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/growth_recipe.h"
#include "core/model.h"

namespace tf {

TokenCounts token_counts(const ModelConfig& model);
ModelConfig with_token_counts(ModelConfig model, const TokenCounts& counts);

// One growth of `model` to `target` (global counts) in two phases, so that running out of memory
// leaves the model as it was: the constructor draws the new rows and builds every layer's grown
// shard (it allocates, and throws what the allocator throws, or tf::Error for fewer tokens than
// now or `preserve` with softmax, without touching the model); apply() swaps them in and cannot
// fail for lack of memory.
// Each rank appends its share of the new rows (the new block split like a fresh layer), so shards
// stay balanced and no data moves. New rows are drawn whole from generators seeded by
// (seed, growth_index, layer), then sliced: every layout grows to the same set of tokens.
// `noise` > 0 adds to every old row of a growing K and V Gaussian noise of standard deviation
// noise x that row's RMS, drawn whole per layer from its own stream and sliced the same way.
// Parameters keep their identity with new shapes: optimizers must be rebuilt afterwards.
class PreparedGrowth {
 public:
  PreparedGrowth(const TokenFormerImpl& model, const TokenCounts& target, GrowthPolicy policy,
                 uint64_t seed, int64_t growth_index, double noise = 0);
  // Once, on the model it was prepared for.
  void apply(TokenFormerImpl& model) &&;
  // Rows `param` (a parameter of that model) has after apply().
  int64_t rows_after(const torch::Tensor& param) const;

 private:
  struct Layer {
    const void* keys = nullptr;  // the layer's parameters (TensorImpl), for rows_after
    const void* values = nullptr;
    std::pair<torch::Tensor, torch::Tensor> rows;  // grown K and V shards; undefined: unchanged
    int64_t added = 0;
    double tau = 0;  // the τ override after growth
  };
  TokenCounts target_;
  std::vector<Layer> layers_;
};

// PreparedGrowth and apply in one call.
void grow_model(TokenFormerImpl& model, const TokenCounts& target, GrowthPolicy policy,
                uint64_t seed, int64_t growth_index, double noise = 0);

// The token count of Pattention `index` (model order, five per layer: Q, K, V, output, FFN).
int64_t tokens_of_pattention(const TokenCounts& counts, size_t index);

}  // namespace tf
