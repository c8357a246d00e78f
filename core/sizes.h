// Parameter counts and FLOPs of a model config (docs/model.md, Sizes; FLOPs and MFU).
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

// Model FLOP utilisation: training FLOPs per second of the whole job over the peak of its
// `world_size` ranks, each `peak_flops_per_rank` (metrics.peak_flops); 0 when the peak is unknown
// (0). The log line and the tokenformer_mfu_ratio metric both ask this.
double model_flops_utilisation(double flops_per_second, double peak_flops_per_rank,
                               int64_t world_size);

}  // namespace tf
