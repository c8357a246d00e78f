// The key layout of the authors' released TokenFormer checkpoints (docs/checkpoints.md), stored as
// one safetensors file plus a config.json with the model's sizes, for export and import.
//   embedding                         <-> sequential.0.word_embeddings.weight
//   blocks.<i>.<q|k|v|proj>.<k|v>_tokens <->
//   sequential.<i+2>.attention.<...>.<key|value>_param_tokens blocks.<i>.mlp.<k|v>_tokens       <->
//   sequential.<i+2>.mlp.<key|value>_param_tokens final_norm.<weight|bias>          <->
//   sequential.<L+3>.norm.<weight|bias>
#pragma once

#include <functional>
#include <string>

#include "core/checkpoint/reader.h"
#include "core/checkpoint/safetensors.h"
#include "core/config.h"
#include "core/model.h"

namespace tf {

// The authors' key of one of our checkpoint tensor names (model_tensors.h) in a model of
// `num_layers` layers. Optimizer entries have none: a TF_CHECK fails.
std::string authors_key(const std::string& name, int64_t num_layers);

// Writes OUT_DIR/model.safetensors (fp32, whole tensors assembled from `checkpoint`) and
// OUT_DIR/config.json; OUT_DIR is created if missing. Returns the safetensors path.
std::string export_authors_layout(const CheckpointReader& checkpoint, const std::string& out_dir);

// Overwrites the parameters of `model` (this rank's token rows) from the authors'-layout file at
// `path`. The embedding may hold fewer rows than the padded vocabulary (at least vocab_size);
// missing padding rows are set to zero. Any other missing key or shape disagreement is a
// tf::Error naming the file and key; nothing is changed then.
void import_authors_layout(const std::string& path, TokenFormer& model);
// The same from the decoded contents of the file at `path`.
void import_authors_layout(const SafetensorsContent& content, const std::string& path,
                           TokenFormer& model);

// The import of both key layouts (this one and hf_layout.h): `key_of` gives the file's key of each
// of our tensor names (model_tensors.h); the checks and the embedding's padding are as above.
void import_layout(const SafetensorsContent& content, const std::string& path, TokenFormer& model,
                   const std::function<std::string(const std::string&)>& key_of);

}  // namespace tf
