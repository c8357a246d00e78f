#include "core/growth.h"

#include <cmath>

#include "core/error.h"

namespace tf {

namespace {

// Old rows plus noise x each row's RMS x `unit` (standard normal, the same shape).
torch::Tensor with_noise(const torch::Tensor& rows, const torch::Tensor& unit, double noise) {
  const torch::Tensor rms = rows.to(torch::kFloat64).square().mean(1, true).sqrt();
  return (rows.to(torch::kFloat64) + unit.to(rows.device(), torch::kFloat64) * rms * noise)
      .to(rows.scalar_type());
}

}  // namespace

int64_t tokens_of_pattention(const TokenCounts& c, size_t index) {
  const int64_t counts[] = {c.qkv, c.qkv, c.qkv, c.proj, c.ffn};
  return counts[index % 5];
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

PreparedGrowth::PreparedGrowth(const TokenFormerImpl& model, const TokenCounts& target,
                               GrowthPolicy policy, uint64_t seed, int64_t growth_index,
                               double noise)
    : target_(target) {
  const ModelConfig& m = model.config();
  const TokenCounts now = token_counts(m);
  if (!now.within(target)) {
    throw Error("cannot grow to fewer tokens (" + to_text(target) + ") than the model has (" +
                to_text(now) + ")");
  }
  const std::string conflict = growth_norm_conflict(policy, m.norm);
  if (!conflict.empty()) {
    throw Error(std::string("growth '") + choice_name(policy) + "' " + conflict);
  }
  const double value_std = 2.0 / (m.num_layers * std::sqrt(static_cast<double>(m.hidden_size)));
  // Streams of growth g start past those of the initialisation and of earlier growths; a pipeline
  // stage's layers draw the streams of their global positions.
  uint64_t stream = ((static_cast<uint64_t>(growth_index) + 1) << 32) +
                    2 * static_cast<uint64_t>(model.first_pattention());
  // Noise streams: the upper half of the growth's range.
  uint64_t noise_stream = stream + (uint64_t{1} << 31);
  const auto pattentions = model.pattentions();
  for (size_t i = 0; i < pattentions.size(); ++i) {
    const PattentionImpl& layer = *pattentions[i].ptr();
    Layer grown;
    grown.added = tokens_of_pattention(target, i) - layer.shard().total;
    grown.tau = layer.tau_override();
    grown.keys = layer.key_tokens.unsafeGetTensorImpl();
    grown.values = layer.value_tokens.unsafeGetTensorImpl();
    const uint64_t key_stream = stream++, value_stream = stream++;
    const uint64_t key_noise = noise_stream++, value_noise = noise_stream++;
    if (grown.added > 0) {
      // preserve freezes the current τ (one already frozen stays); the others follow the new n.
      grown.tau = policy == GrowthPolicy::kPreserve ? layer.scale() : 0;
      const auto keys = seeded_normal(seed, key_stream, {grown.added, layer.d_in()}, 0.02);
      const auto values =
          seeded_normal(seed, value_stream, {grown.added, layer.d_out()}, value_std);
      grown.rows =
          layer.grown_rows(policy == GrowthPolicy::kNormal ? keys : torch::zeros_like(keys), values,
                           model.tp_size(), model.tp_rank());
      if (noise > 0) {
        const TokenShard& old = layer.shard();
        const int64_t rows = old.count();
        torch::NoGradGuard no_grad;
        auto& [k, v] = grown.rows;
        k.narrow(0, 0, rows)
            .copy_(with_noise(
                k.narrow(0, 0, rows),
                take_rows(seeded_normal(seed, key_noise, {old.total, layer.d_in()}, 1.0), old),
                noise));
        v.narrow(0, 0, rows)
            .copy_(with_noise(
                v.narrow(0, 0, rows),
                take_rows(seeded_normal(seed, value_noise, {old.total, layer.d_out()}, 1.0), old),
                noise));
      }
    }
    layers_.push_back(std::move(grown));
  }
}

void PreparedGrowth::apply(TokenFormerImpl& model) && {
  auto pattentions = model.pattentions();
  TF_CHECK_EQ(pattentions.size(), layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& grown = layers_[i];
    if (grown.added == 0) continue;
    PattentionImpl& layer = *pattentions[i].ptr();
    layer.set_tau(grown.tau);
    layer.adopt_rows(grown.rows, grown.added, model.tp_size(), model.tp_rank());
    grown.rows = {};
  }
  model.set_token_counts(target_.qkv, target_.proj, target_.ffn);
}

int64_t PreparedGrowth::rows_after(const torch::Tensor& param) const {
  const void* impl = param.unsafeGetTensorImpl();
  for (const Layer& grown : layers_) {
    if (grown.added == 0) continue;
    if (impl == grown.keys) return grown.rows.first.size(0);
    if (impl == grown.values) return grown.rows.second.size(0);
  }
  return param.dim() > 0 ? param.size(0) : 0;
}

void grow_model(TokenFormerImpl& model, const TokenCounts& target, GrowthPolicy policy,
                uint64_t seed, int64_t growth_index, double noise) {
  PreparedGrowth(model, target, policy, seed, growth_index, noise).apply(model);
}

}  // namespace tf
