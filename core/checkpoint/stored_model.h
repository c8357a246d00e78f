// Whether a checkpoint holds the model a run builds, asked before any tensor is read by everything
// that loads one into a model (a resume, tf-launch eval, model.init_from), so that a checkpoint of
// another model is refused by saying so, with both models' sizes under their config keys and what
// the user can do, instead of with the first tensor whose shape differs.
#pragma once

#include <cstdint>
#include <string>

#include "core/checkpoint/reader.h"
#include "core/config.h"
#include "core/growth.h"

namespace tf {

// The sizes that make two models' tensors differ, and the head count, which does not.
struct ModelSizes {
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;        // 0: not recorded
  int64_t vocab_size = 0;       // as configured; 0: not recorded
  int64_t embedding_rows = 0;   // the vocabulary padded to a multiple of 128
  TokenCounts tokens;
};

ModelSizes model_sizes(const ModelConfig& model);
// From the manifest: widths, layers and token counts from the tensors' shapes (the counts a grown
// run reached), the head count and vocabulary from the config it records. tf::Error naming the
// checkpoint when the embedding or a block's tensors are missing.
ModelSizes stored_model_sizes(const CheckpointReader& checkpoint);
// "hidden_size 64, num_layers 2, num_heads 4, vocab_size 257, qkv_tokens 16, proj_tokens 16,
// ffn_tokens 64": under the config keys that set them.
std::string to_text(const ModelSizes& sizes);

// Throws tf::Error when `checkpoint` holds a model whose tensors have other shapes than those of
// a model configured as `model`: the message says that the checkpoint holds another model, gives
// both models' sizes and the keys that differ, then `ways_on` (what the user can do instead).
void check_holds_model(const CheckpointReader& checkpoint, const ModelConfig& model,
                       const std::string& ways_on);

}  // namespace tf
