// The Hugging Face layout (docs/checkpoints.md, "Export to Hugging Face"): a directory with
// config.json (the model's sizes as plain fields, model_type "tokenformer") and model.safetensors
// (fp32, the tied embedding once) that `transformers` loads with the modeling file of
// python/tokenformer_hf. Key names:
//   embedding                          <-> model.embed_tokens.weight
//   blocks.<i>.<layer>.<k|v>_tokens    <-> model.layers.<i>.<layer>.<key|value>_tokens
//   final_norm.<weight|bias>           <-> model.final_norm.<weight|bias>
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/checkpoint/reader.h"
#include "core/checkpoint/safetensors.h"
#include "core/growth.h"
#include "core/model.h"

namespace tf {

inline constexpr const char* kHfConfigFile = "config.json";
inline constexpr const char* kHfWeightsFile = "model.safetensors";

// The Hugging Face key of one of our checkpoint tensor names (model_tensors.h).
std::string hf_key(const std::string& name);

// A file written beside config.json and model.safetensors: its name and bytes.
using HfFile = std::pair<std::string, std::string>;

// Writes OUT_DIR/config.json, OUT_DIR/model.safetensors (the model `checkpoint` holds, at the
// token counts it reached, with any frozen Pattention scales in config.json) and `files`; OUT_DIR
// is created if missing. Returns the safetensors path.
std::string export_hf(const CheckpointReader& checkpoint, const std::string& out_dir,
                      const std::vector<HfFile>& files);

// Whether `dir` is meant as a Hugging Face directory: it has a config.json and no manifest (false
// for a path that is not a directory).
bool is_hf_directory(const std::string& dir);

// A Hugging Face directory, read and checked: config.json's fields against the weights' keys and
// shapes, every disagreement a tf::Error naming the file and key.
class HfModel {
 public:
  explicit HfModel(const std::string& dir);

  const TokenCounts& tokens() const { return tokens_; }
  // Overwrites this rank's rows of every parameter of `model` (which must have tokens()) and sets
  // the frozen Pattention scales config.json records; tf::Error naming the file and key when the
  // model's other sizes or its head count, norm or rotary fraction are not config.json's.
  void load_into(TokenFormer& model) const;

 private:
  std::string config_path_, weights_path_;
  SafetensorsContent weights_;
  int64_t hidden_size_ = 0, num_layers_ = 0, num_heads_ = 0;
  std::string norm_;
  double rotary_pct_ = 0;
  TokenCounts tokens_;
  std::vector<double> scales_;  // per Pattention; 0: the default
};

}  // namespace tf
