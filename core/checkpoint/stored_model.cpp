#include "core/checkpoint/stored_model.h"

#include <algorithm>
#include <vector>

#include "core/checkpoint/model_tensors.h"
#include "core/error.h"

namespace tf {
namespace {

// "blocks.<i>.": the block index of a checkpoint tensor name, -1 for the others.
int64_t block_index(const std::string& name) {
  static const std::string kPrefix = "blocks.";
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return -1;
  const size_t dot = name.find('.', kPrefix.size());
  if (dot == std::string::npos) return -1;
  try {
    return std::stoll(name.substr(kPrefix.size(), dot - kPrefix.size()));
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

ModelSizes model_sizes(const ModelConfig& model) {
  ModelSizes sizes;
  sizes.hidden_size = model.hidden_size;
  sizes.num_layers = model.num_layers;
  sizes.num_heads = model.num_heads;
  sizes.vocab_size = model.vocab_size;
  sizes.embedding_rows = model.padded_vocab();
  sizes.tokens = token_counts(model);
  return sizes;
}

ModelSizes stored_model_sizes(const CheckpointReader& checkpoint) {
  const Manifest& manifest = checkpoint.manifest();
  const auto embedding = manifest.tensors.find("embedding");
  if (embedding == manifest.tensors.end() || embedding->second.shape.size() != 2) {
    throw Error(checkpoint.directory() + ": tensor 'embedding' is missing or not a matrix");
  }
  ModelSizes sizes;
  sizes.embedding_rows = embedding->second.shape[0];
  sizes.hidden_size = embedding->second.shape[1];
  for (const auto& [name, info] : manifest.tensors) {
    sizes.num_layers = std::max(sizes.num_layers, block_index(name) + 1);
  }
  sizes.tokens = stored_token_counts(checkpoint);
  const std::string& yaml = manifest.run.config_yaml;
  if (!yaml.empty()) {
    try {  // a config this version no longer reads still has its tensors' sizes to show
      const ModelConfig recorded = parse_config(yaml, checkpoint.directory()).model;
      sizes.num_heads = recorded.num_heads;
      sizes.vocab_size = recorded.vocab_size;
    } catch (const Error&) {
    }
  }
  return sizes;
}

std::string to_text(const ModelSizes& s) {
  const auto key = [](const char* name, int64_t value) {
    return std::string(name) + " " + std::to_string(value);
  };
  std::string text = key("hidden_size", s.hidden_size) + ", " + key("num_layers", s.num_layers);
  if (s.num_heads > 0) text += ", " + key("num_heads", s.num_heads);
  text += s.vocab_size > 0 ? ", " + key("vocab_size", s.vocab_size)
                           : ", " + std::to_string(s.embedding_rows) + " embedding rows";
  return text + ", " + key("qkv_tokens", s.tokens.qkv) + ", " + key("proj_tokens", s.tokens.proj) +
         ", " + key("ffn_tokens", s.tokens.ffn);
}

void check_holds_model(const CheckpointReader& checkpoint, const ModelConfig& model,
                       const std::string& ways_on) {
  const ModelSizes stored = stored_model_sizes(checkpoint);
  const ModelSizes needed = model_sizes(model);
  std::vector<std::string> differ;
  if (stored.hidden_size != needed.hidden_size) differ.push_back("hidden_size");
  if (stored.num_layers != needed.num_layers) differ.push_back("num_layers");
  if (stored.embedding_rows != needed.embedding_rows) differ.push_back("vocab_size");
  if (stored.tokens.qkv != needed.tokens.qkv) differ.push_back("qkv_tokens");
  if (stored.tokens.proj != needed.tokens.proj) differ.push_back("proj_tokens");
  if (stored.tokens.ffn != needed.tokens.ffn) differ.push_back("ffn_tokens");
  if (differ.empty()) return;
  std::string keys;
  for (const std::string& k : differ) keys += (keys.empty() ? "" : ", ") + k;
  throw Error(checkpoint.directory() + " holds another model than this run's (they differ in " +
              keys + "): the checkpoint's has " + to_text(stored) + "; this run's has " +
              to_text(needed) + ". " + ways_on);
}

}  // namespace tf
