#include "core/checkpoint/hf_layout.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "core/checkpoint/authors_layout.h"
#include "core/checkpoint/directory.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/model_tensors.h"
#include "core/checkpoint/stored_model.h"
#include "core/error.h"
#include "core/number_text.h"
#include "core/pattention_row_types.h"

namespace tf {
namespace {

using nlohmann::json;

constexpr const char* kModelType = "tokenformer";
constexpr const char* kLayerNames[] = {"query", "key", "value", "proj", "mlp"};
constexpr int kPattentionsPerLayer = 5;

json config_json(const ModelConfig& m, const ModelSizes& sizes, const std::vector<double>& scales) {
  json config = {{"model_type", kModelType},
                 {"architectures", {"TokenFormerForCausalLM"}},
                 {"auto_map",
                  {{"AutoConfig", "configuration_tokenformer.TokenFormerConfig"},
                   {"AutoModelForCausalLM", "modeling_tokenformer.TokenFormerForCausalLM"}}},
                 {"vocab_size", sizes.embedding_rows},
                 {"tokenizer_vocab_size", m.vocab_size},
                 {"hidden_size", sizes.hidden_size},
                 {"num_hidden_layers", sizes.num_layers},
                 {"num_attention_heads", m.num_heads},
                 {"qkv_tokens", sizes.tokens.qkv},
                 {"proj_tokens", sizes.tokens.proj},
                 {"ffn_tokens", sizes.tokens.ffn},
                 {"pattention_norm", choice_name(m.norm)},
                 {"pattention_scales", nullptr},
                 {"rotary_pct", m.rotary_pct},
                 {"rotary_emb_base", kRotaryBase},
                 {"max_position_embeddings", m.seq_len},
                 {"layer_norm_eps", kLayerNormEps},
                 {"pattention_eps", kNormEps},
                 {"tie_word_embeddings", true},
                 {"use_cache", false},
                 {"dtype", "float32"}};
  for (double s : scales) {
    if (s != 0) config["pattention_scales"] = scales;
  }
  return config;
}

// The value of `key` in config.json, which must be there.
const json& field(const json& config, const std::string& key, const std::string& path) {
  const auto found = config.find(key);
  if (found == config.end()) throw Error(path + ": key '" + key + "' is missing");
  return *found;
}

int64_t positive_field(const json& config, const std::string& key, const std::string& path) {
  const json& value = field(config, key, path);
  if (!value.is_number_integer() || value.get<int64_t>() < 1) {
    throw Error(path + ": '" + key + "' must be a positive integer, not " + value.dump());
  }
  return value.get<int64_t>();
}

double number_field(const json& config, const std::string& key, const std::string& path) {
  const json& value = field(config, key, path);
  if (!value.is_number())
    throw Error(path + ": '" + key + "' must be a number, not " + value.dump());
  return value.get<double>();
}

// A field this model has one value for: absent, or that value.
void check_fixed(const json& config, const std::string& key, const json& expected,
                 const std::string& path) {
  const auto found = config.find(key);
  if (found == config.end() || *found == expected) return;
  throw Error(path + ": '" + key + "' is " + found->dump() + "; the model computes with " +
              expected.dump() + " only");
}

}  // namespace

std::string hf_key(const std::string& name) {
  static const std::string kBlocks = "blocks.";
  if (name == "embedding") return "model.embed_tokens.weight";
  if (name == "final_norm.weight" || name == "final_norm.bias") return "model." + name;
  TF_CHECK(name.compare(0, kBlocks.size(), kBlocks) == 0, "no Hugging Face key for ", name);
  return "model.layers." + name.substr(kBlocks.size());
}

std::string export_hf(const CheckpointReader& checkpoint, const std::string& out_dir,
                      const std::vector<HfFile>& files) {
  const std::string manifest = join_path(checkpoint.directory(), kManifestFile);
  const ModelConfig m = parse_config(checkpoint.manifest().run.config_yaml, manifest).model;
  const ModelSizes sizes = stored_model_sizes(checkpoint);
  std::vector<double> scales(kPattentionsPerLayer * sizes.num_layers, 0.0);
  std::set<std::string> scale_names;  // frozen scales (docs/model.md, Scale τ) go to config.json
  for (size_t k = 0; k < scales.size(); ++k) {
    const std::string name = frozen_scale_name(int64_t(k));
    if (!checkpoint.has(name)) continue;
    scales[k] = checkpoint.tensor(name).item<double>();
    scale_names.insert(name);
  }
  NamedTensors named;
  for (const auto& [name, info] : checkpoint.manifest().tensors) {
    if (name.compare(0, 6, "optim.") == 0 || scale_names.count(name)) continue;
    named.emplace_back(hf_key(name), checkpoint.tensor(name).to(torch::kFloat32));
  }
  std::error_code code;
  std::filesystem::create_directories(out_dir, code);
  if (code) throw Error(out_dir + ": cannot create output directory: " + code.message());
  const std::string path = join_path(out_dir, kHfWeightsFile);
  write_safetensors_file(path, named, {{"format", "pt"}});
  write_file_synced(join_path(out_dir, kHfConfigFile),
                    config_json(m, sizes, scales).dump(2) + "\n");
  for (const auto& [name, bytes] : files) write_file_synced(join_path(out_dir, name), bytes);
  return path;
}

bool is_hf_directory(const std::string& dir) {
  return path_exists(join_path(dir, kHfConfigFile)) && !path_exists(join_path(dir, kManifestFile));
}

HfModel::HfModel(const std::string& dir)
    : config_path_(join_path(dir, kHfConfigFile)), weights_path_(join_path(dir, kHfWeightsFile)) {
  const std::string& path = config_path_;
  json config;
  try {
    config = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  if (!config.is_object()) throw Error(path + ": not a JSON object");
  if (field(config, "model_type", path) != kModelType) {
    throw Error(path + ": 'model_type' is " + config["model_type"].dump() + ", not \"" +
                kModelType + "\"");
  }
  hidden_size_ = positive_field(config, "hidden_size", path);
  num_layers_ = positive_field(config, "num_hidden_layers", path);
  num_heads_ = positive_field(config, "num_attention_heads", path);
  const int64_t vocab_rows = positive_field(config, "vocab_size", path);
  tokens_ = {positive_field(config, "qkv_tokens", path),
             positive_field(config, "proj_tokens", path),
             positive_field(config, "ffn_tokens", path)};
  const json& norm = field(config, "pattention_norm", path);
  if (!norm.is_string() || !parse_choice<PattentionNorm>(norm.get<std::string>())) {
    throw Error(path + ": 'pattention_norm' is " + norm.dump() +
                ", not one of l2_norm_gelu, gelu_l2_norm, softmax");
  }
  norm_ = norm.get<std::string>();
  rotary_pct_ = number_field(config, "rotary_pct", path);
  check_fixed(config, "rotary_emb_base", kRotaryBase, path);
  check_fixed(config, "layer_norm_eps", kLayerNormEps, path);
  check_fixed(config, "pattention_eps", kNormEps, path);
  check_fixed(config, "tie_word_embeddings", true, path);
  const auto scales = config.find("pattention_scales");
  if (scales != config.end() && !scales->is_null()) {
    const size_t wanted = kPattentionsPerLayer * num_layers_;
    if (!scales->is_array() || scales->size() != wanted) {
      throw Error(path + ": 'pattention_scales' must be null or a list of " +
                  std::to_string(wanted) + " numbers (5 per layer), not " + scales->dump());
    }
    for (const json& s : *scales) {
      if (!s.is_number() || s.get<double>() < 0) {
        throw Error(path + ": 'pattention_scales' holds " + s.dump() + ", not a number >= 0");
      }
      scales_.push_back(s.get<double>());
    }
  }

  if (!path_exists(weights_path_)) {
    throw Error(weights_path_ + ": no such file, though " + path + " is there");
  }
  weights_ = decode_safetensors(read_file(weights_path_), weights_path_);
  // Every tensor config.json implies, with its shape, and nothing else.
  std::map<std::string, std::pair<std::vector<int64_t>, std::string>> expected;
  const std::string d = "hidden_size " + std::to_string(hidden_size_);
  expected[hf_key("embedding")] = {{vocab_rows, hidden_size_},
                                   "vocab_size " + std::to_string(vocab_rows) + ", " + d};
  const int64_t counts[] = {tokens_.qkv, tokens_.qkv, tokens_.qkv, tokens_.proj, tokens_.ffn};
  const char* count_keys[] = {"qkv_tokens", "qkv_tokens", "qkv_tokens", "proj_tokens",
                              "ffn_tokens"};
  for (int64_t i = 0; i < num_layers_; ++i) {
    for (int k = 0; k < kPattentionsPerLayer; ++k) {
      const std::string layer = "blocks." + std::to_string(i) + "." + kLayerNames[k] + ".";
      const std::string why =
          std::string(count_keys[k]) + " " + std::to_string(counts[k]) + ", " + d;
      expected[hf_key(layer + "key_tokens")] = {{counts[k], hidden_size_}, why};
      expected[hf_key(layer + "value_tokens")] = {{counts[k], hidden_size_}, why};
    }
  }
  expected[hf_key("final_norm.weight")] = {{hidden_size_}, d};
  expected[hf_key("final_norm.bias")] = {{hidden_size_}, d};
  for (const auto& [key, want] : expected) {
    const auto found = weights_.tensors.find(key);
    if (found == weights_.tensors.end()) {
      throw Error(weights_path_ + ": tensor '" + key + "' is missing (" + path + " has " +
                  std::to_string(num_layers_) + " layers)");
    }
    if (found->second.sizes() != torch::IntArrayRef(want.first)) {
      throw Error(weights_path_ + ": tensor '" + key + "' has shape " +
                  shape_text(found->second.sizes()) + ", but " + path + " (" + want.second +
                  ") says " + shape_text(want.first));
    }
  }
  for (const auto& [key, tensor] : weights_.tensors) {
    if (!expected.count(key)) {
      throw Error(weights_path_ + ": tensor '" + key + "' is not part of the model " + path +
                  " describes (num_hidden_layers " + std::to_string(num_layers_) + ")");
    }
  }
}

void HfModel::load_into(TokenFormer& model) const {
  const ModelConfig& m = model->config();
  const auto agree = [&](const char* key, const std::string& ours, const char* run_key,
                         const std::string& run) {
    if (ours == run) return;
    throw Error(config_path_ + ": '" + key + "' is " + ours + ", but the run's model." + run_key +
                " is " + run);
  };
  agree("hidden_size", std::to_string(hidden_size_), "hidden_size", std::to_string(m.hidden_size));
  agree("num_hidden_layers", std::to_string(num_layers_), "num_layers",
        std::to_string(m.num_layers));
  agree("num_attention_heads", std::to_string(num_heads_), "num_heads",
        std::to_string(m.num_heads));
  agree("pattention_norm", norm_, "norm", choice_name(m.norm));
  agree("rotary_pct", shortest_text(rotary_pct_), "rotary_pct", shortest_text(m.rotary_pct));
  import_layout(weights_, weights_path_, model, hf_key);
  if (scales_.empty()) return;
  auto layers = model->pattentions();
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i]->set_tau(scales_[model->first_pattention() + static_cast<int64_t>(i)]);
  }
}

}  // namespace tf
