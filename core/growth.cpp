#include "core/growth.h"

#include <cmath>

#include "core/error.h"

namespace tf {

GrowthPolicy parse_growth(const std::string& name) {
  if (name == "zero") return GrowthPolicy::kZero;
  if (name == "normal") return GrowthPolicy::kNormal;
  if (name == "preserve") return GrowthPolicy::kPreserve;
  throw Error("unknown growth policy '" + name + "' (zero, normal, preserve)");
}

const char* growth_name(GrowthPolicy policy) {
  switch (policy) {
    case GrowthPolicy::kZero:
      return "zero";
    case GrowthPolicy::kNormal:
      return "normal";
    case GrowthPolicy::kPreserve:
      return "preserve";
  }
  return "?";
}

std::string to_text(const TokenCounts& c) {
  return "qkv " + std::to_string(c.qkv) + ", proj " + std::to_string(c.proj) + ", ffn " +
         std::to_string(c.ffn);
}

TokenCounts token_counts(const ModelConfig& m) {
  return {m.qkv_tokens, m.proj_tokens, m.ffn_tokens};
}

ModelConfig with_token_counts(ModelConfig m, const TokenCounts& c) {
  m.qkv_tokens = c.qkv;
  m.proj_tokens = c.proj;
  m.ffn_tokens = c.ffn;
  return m;
}

void grow_model(TokenFormerImpl& model, const TokenCounts& target, GrowthPolicy policy,
                uint64_t seed, int64_t growth_index) {
  const ModelConfig& m = model.config();
  const TokenCounts now = token_counts(m);
  if (!now.within(target)) {
    throw Error("cannot grow to fewer tokens (qkv " + std::to_string(target.qkv) + ", proj " +
                std::to_string(target.proj) + ", ffn " + std::to_string(target.ffn) +
                ") than the model has (" + std::to_string(now.qkv) + ", " +
                std::to_string(now.proj) + ", " + std::to_string(now.ffn) + ")");
  }
  if (policy == GrowthPolicy::kPreserve && m.norm == "softmax") {
    throw Error(
        "growth 'preserve' keeps the function only for l2_norm_gelu and gelu_l2_norm: "
        "with softmax, zero-key tokens still take probability mass");
  }
  const double value_std = 2.0 / (m.num_layers * std::sqrt(static_cast<double>(m.hidden_size)));
  const int64_t targets[] = {target.qkv, target.qkv, target.qkv, target.proj, target.ffn};
  // Streams of growth g start past those of the initialisation and of earlier growths.
  uint64_t stream = (static_cast<uint64_t>(growth_index) + 1) << 32;
  const auto layers = model.pattentions();
  for (size_t i = 0; i < layers.size(); ++i) {
    PattentionImpl& layer = *layers[i].ptr();
    const int64_t added = targets[i % 5] - layer.shard().total;
    const auto keys = seeded_normal(seed, stream++, {added, layer.d_in()}, 0.02);
    const auto values = seeded_normal(seed, stream++, {added, layer.d_out()}, value_std);
    if (added == 0) continue;
    if (policy == GrowthPolicy::kPreserve) {
      layer.set_tau(layer.scale());  // freeze the current τ (already frozen stays frozen)
    } else {
      layer.set_tau(0);
    }
    layer.grow(policy == GrowthPolicy::kNormal ? keys : torch::zeros_like(keys), values,
               model.tp_size(), model.tp_rank());
  }
  model.set_token_counts(target.qkv, target.proj, target.ffn);
}

}  // namespace tf
