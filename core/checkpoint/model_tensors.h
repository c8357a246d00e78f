// The parameters of a TokenFormer under their checkpoint names, with the rows this rank holds:
//   embedding, blocks.<i>.<query|key|value|proj|mlp>.<key_tokens|value_tokens>,
//   final_norm.weight, final_norm.bias
// Parameter tokens are sharded along rows (TokenShard); everything else is replicated.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/checkpoint/reader.h"
#include "core/growth.h"
#include "core/model.h"

namespace tf {

struct ModelTensor {
  std::string name;
  torch::Tensor param;  // the live parameter (shares storage with the model)
  TokenShard rows;      // rows of the whole tensor held here; {0, n, n} when replicated
  bool sharded = false;
  std::vector<int64_t> global_shape() const;
};

// Those the model (a pipeline rank: its layers, under their global indices) holds, in a fixed
// order: embedding, blocks in order (query, key, value, proj, mlp), final norm.
std::vector<ModelTensor> model_tensors(const TokenFormer& model);

// The rows `t.rows` (in local order) of tensor `name` assembled from a checkpoint, whatever layout
// wrote it. Throws tf::Error naming the checkpoint and tensor when it is missing or has another
// global shape.
torch::Tensor read_model_rows(const CheckpointReader& checkpoint, const std::string& name,
                              const ModelTensor& t);

// The checkpoint name of the scale τ that a `preserve` growth froze in Pattention `index` (global,
// five per layer in pattentions() order): "tau.<index>" (docs/model.md, Scale τ).
std::string frozen_scale_name(int64_t index);
// Sets the scale override of every Pattention of `model` to the checkpoint's frozen scale, or to
// none (the default) where it has none.
void read_frozen_scales(const CheckpointReader& checkpoint, TokenFormer& model);

// The first block's key-token tensors, whose row counts are the model's token counts (qkv, proj,
// ffn); every block has the same.
constexpr const char* kTokenCountTensors[] = {
    "blocks.0.query.key_tokens", "blocks.0.proj.key_tokens", "blocks.0.mlp.key_tokens"};

// The token counts (qkv, proj, ffn) given by the row counts of the kTokenCountTensors (or their
// authors'-layout names) in `where`; tf::Error naming the file and tensor for a count below 1.
TokenCounts token_counts_from_rows(const int64_t (&rows)[3], const std::string& where,
                                   const std::string (&names)[3]);

// The parameter tokens per Pattention layer of the model `checkpoint` holds; tf::Error naming the
// checkpoint and tensor when one is missing or empty.
TokenCounts stored_token_counts(const CheckpointReader& checkpoint);

}  // namespace tf
