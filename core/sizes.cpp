#include "core/sizes.h"

namespace tf {

int64_t token_parameter_count(const ModelConfig& m) {
  return m.num_layers * 2 * m.hidden_size * (3 * m.qkv_tokens + m.proj_tokens + m.ffn_tokens);
}

int64_t parameter_count(const ModelConfig& m) {
  return m.padded_vocab() * m.hidden_size + token_parameter_count(m) + 2 * m.hidden_size;
}

double forward_flops_per_token(const ModelConfig& m) {
  return 2.0 * token_parameter_count(m) + 2.0 * m.padded_vocab() * m.hidden_size +
         4.0 * m.num_layers * m.seq_len * m.hidden_size;
}

double training_flops_per_token(const ModelConfig& m) { return 3.0 * forward_flops_per_token(m); }

double model_flops_utilisation(double flops_per_second, double peak_flops_per_rank,
                               int64_t world_size) {
  const double peak = peak_flops_per_rank * static_cast<double>(world_size);
  return peak > 0 ? flops_per_second / peak : 0;
}

}  // namespace tf
