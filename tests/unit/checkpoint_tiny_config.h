// A TokenFormer small enough that a checkpoint test trains 40 steps in about a second.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace tf::testing {

inline Config tiny_checkpoint_config(const std::vector<std::string>& sets = {}) {
  static const char* const kYaml = R"(
model: {hidden_size: 32, num_layers: 2, num_heads: 2, qkv_tokens: 16, proj_tokens: 12,
        ffn_tokens: 40, seq_len: 16, vocab_size: 257}
train: {steps: 40, global_batch: 4, micro_batch: 2, lr: 3.0e-3, min_lr: 3.0e-4,
        warmup_steps: 5, seed: 99, eval_batches: 1}
data: {synthetic: {documents: 60, doc_len: 64}}
)";
  return parse_config(kYaml, "tiny_checkpoint.yaml", sets);
}

}  // namespace tf::testing
