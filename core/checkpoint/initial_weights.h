// model.init_from: the weights a run starts from: a safetensors file in the authors' layout
// (authors_layout.h), a Hugging Face directory written by tf-export --format hf (hf_layout.h) or a
// step directory of one of our checkpoints (parameters only: the run
// starts at step 0 with a fresh optimizer). The stored model may have fewer parameter tokens than
// the run's first stage; the trainer then loads it at its own size and grows it (docs/model.md,
// Growth).
#pragma once

#include <optional>
#include <string>

#include "core/checkpoint/hf_layout.h"
#include "core/checkpoint/reader.h"
#include "core/checkpoint/safetensors.h"
#include "core/growth.h"
#include "core/model.h"

namespace tf {

class InitialWeights {
 public:
  // Reads the file (the Hugging Face directory, or the checkpoint's manifest); throws tf::Error
  // naming `path` (or the file in it) when it is none of them or lacks the parameter tokens of the
  // first block.
  InitialWeights(std::string path, int64_t num_layers);

  const std::string& path() const { return path_; }
  // Parameter tokens per Pattention layer of the stored model.
  const TokenCounts& tokens() const { return tokens_; }
  // The training FLOPs that produced the weights, as far as they say: a checkpoint's count (over
  // all its stages and launches); 0 for the other formats.
  double flops_spent() const;
  // Overwrites this rank's rows of every parameter of `model`, which must have tokens(); throws
  // tf::Error naming the file and tensor on any disagreement, changing nothing then.
  void load_into(TokenFormer& model) const;

 private:
  std::string path_;
  std::optional<SafetensorsContent> authors_;   // a file in the authors' layout
  std::optional<HfModel> hf_;                   // a Hugging Face directory
  std::optional<CheckpointReader> checkpoint_;  // a checkpoint step directory
  TokenCounts tokens_;
};

}  // namespace tf
