#include "core/checkpoint/authors_layout.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "core/checkpoint/directory.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/model_tensors.h"
#include "core/checkpoint/safetensors.h"
#include "core/error.h"

namespace tf {
namespace {

std::string config_json(const ModelConfig& m) {
  const nlohmann::json json = {{"architecture", "TokenFormer"}, {"hidden_size", m.hidden_size},
                               {"num_layers", m.num_layers},    {"num_heads", m.num_heads},
                               {"qkv_tokens", m.qkv_tokens},    {"proj_tokens", m.proj_tokens},
                               {"ffn_tokens", m.ffn_tokens},    {"seq_len", m.seq_len},
                               {"vocab_size", m.vocab_size},    {"padded_vocab", m.padded_vocab()},
                               {"norm", choice_name(m.norm)},   {"rotary_pct", m.rotary_pct}};
  return json.dump(2) + "\n";
}

}  // namespace

std::string authors_key(const std::string& name, int64_t num_layers) {
  if (name == "embedding") return "sequential.0.word_embeddings.weight";
  const std::string norm = "sequential." + std::to_string(num_layers + 3) + ".norm.";
  if (name == "final_norm.weight") return norm + "weight";
  if (name == "final_norm.bias") return norm + "bias";
  // blocks.<i>.<layer>.<key_tokens|value_tokens>
  const size_t a = name.find('.'), b = name.find('.', a + 1), c = name.find('.', b + 1);
  TF_CHECK(name.compare(0, a, "blocks") == 0 && c != std::string::npos, "no authors' key for ",
           name);
  const int64_t block = std::stoll(name.substr(a + 1, b - a - 1));
  const std::string layer = name.substr(b + 1, c - b - 1);
  const std::string tokens =
      name.substr(c + 1) == "key_tokens" ? "key_param_tokens" : "value_param_tokens";
  const std::string prefix = "sequential." + std::to_string(block + 2) + ".";
  return prefix + (layer == "mlp" ? "mlp." : "attention." + layer + ".") + tokens;
}

std::string export_authors_layout(const CheckpointReader& checkpoint, const std::string& out_dir) {
  const std::string manifest = join_path(checkpoint.directory(), kManifestFile);
  const Config config = parse_config(checkpoint.manifest().run.config_yaml, manifest);
  const ModelConfig& m = config.model;
  std::set<std::string> frozen_scales;  // no place for them in this layout (docs/model.md)
  for (int64_t k = 0; k < 5 * m.num_layers; ++k) frozen_scales.insert(frozen_scale_name(k));
  NamedTensors named;
  for (const auto& [name, info] : checkpoint.manifest().tensors) {
    if (name.compare(0, 6, "optim.") == 0 || frozen_scales.count(name)) continue;
    named.emplace_back(authors_key(name, m.num_layers),
                       checkpoint.tensor(name).to(torch::kFloat32));
  }
  std::error_code code;
  std::filesystem::create_directories(out_dir, code);
  if (code) throw Error(out_dir + ": cannot create output directory: " + code.message());
  const std::string path = join_path(out_dir, "model.safetensors");
  write_safetensors_file(path, named, {{"format", "pt"}});
  write_file_synced(join_path(out_dir, "config.json"), config_json(m));
  return path;
}

void import_authors_layout(const std::string& path, TokenFormer& model) {
  import_authors_layout(decode_safetensors(read_file(path), path), path, model);
}

void import_authors_layout(const SafetensorsContent& content, const std::string& path,
                           TokenFormer& model) {
  const int64_t num_layers = model->config().num_layers;
  import_layout(content, path, model,
                [&](const std::string& name) { return authors_key(name, num_layers); });
}

void import_layout(const SafetensorsContent& content, const std::string& path, TokenFormer& model,
                   const std::function<std::string(const std::string&)>& key_of) {
  const ModelConfig& m = model->config();
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // checked first, then applied
  for (const ModelTensor& t : model_tensors(model)) {
    const std::string key = key_of(t.name);
    auto found = content.tensors.find(key);
    if (found == content.tensors.end()) throw Error(path + ": tensor '" + key + "' is missing");
    torch::Tensor stored = found->second;
    std::vector<int64_t> expected = t.global_shape();
    const bool embedding = t.name == "embedding";
    const bool shape_ok =
        stored.dim() == int64_t(expected.size()) &&
        (embedding ? stored.size(0) >= m.vocab_size && stored.size(0) <= expected[0] &&
                         stored.size(1) == expected[1]
                   : stored.sizes() == torch::IntArrayRef(expected));
    if (!shape_ok) {
      throw Error(path + ": tensor '" + key + "' has shape " + shape_text(stored.sizes()) +
                  ", the model (" + t.name + ") needs " + shape_text(expected) +
                  (embedding ? " (or at least " + std::to_string(m.vocab_size) + " rows)" : ""));
    }
    if (!stored.is_floating_point()) {
      throw Error(path + ": tensor '" + key + "' has dtype " +
                  safetensors_dtype(stored.scalar_type()) + ", expected a floating-point type");
    }
    if (!torch::isfinite(stored).all().item<bool>()) {
      throw Error(path + ": tensor '" + key + "' has values that are not finite (inf or NaN)");
    }
    if (embedding && stored.size(0) < expected[0]) {
      stored = torch::cat(
          {stored, torch::zeros({expected[0] - stored.size(0), expected[1]}, stored.options())});
    }
    copies.emplace_back(t.param, take_rows(stored, t.rows));
  }
  torch::NoGradGuard no_grad;
  for (auto& [param, value] : copies) param.copy_(value);
}

}  // namespace tf
