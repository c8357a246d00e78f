// What tf-export --format hf writes beside config.json and model.safetensors (core/checkpoint/
// hf_layout.h): the modeling files of python/tokenformer_hf, built into tf-export, and, when the
// run used a Hugging Face tokenizer.json (data.tokenizer), that file and a tokenizer_config.json.
#pragma once

#include <string>
#include <vector>

#include "core/checkpoint/hf_layout.h"
#include "core/checkpoint/reader.h"

namespace tf {

struct HfExtras {
  std::vector<HfFile> files;
  std::string tokenizer;  // the tokenizer.json written; empty for none (the byte tokenizer)
};

// `tokenizer` overrides the path the checkpoint records (empty: the recorded one). The file must
// have the checksum the checkpoint records, if it records one; tf::Error naming it otherwise.
HfExtras hf_export_files(const CheckpointReader& checkpoint, const std::string& tokenizer);

}  // namespace tf
