// Parameter counts and FLOPs of a model config (SPEC.md section 3).
#pragma once

#include <cstdint>

#include "core/config.h"

namespace tf {

// V_pad·d + L·2d·(3·qkv + proj + ffn) + 2d (embedding tied with the head).
int64_t parameter_count(const ModelConfig& model);
// Parameters outside the embedding and the final LayerNorm: the Pattention tokens.
int64_t token_parameter_count(const ModelConfig& model);

// Forward matmul FLOPs per token: 2·(token parameters) + 2·V_pad·d (head) + 4·L·seq·d
// (attention scores and mixing, counted over the full seq×seq square: the causal half is not
// discounted, as in Megatron-LM and PaLM). Normalisations and activations are not counted.
double forward_flops_per_token(const ModelConfig& model);
// Forward + backward: 3 × forward.
double training_flops_per_token(const ModelConfig& model);

}  // namespace tf
