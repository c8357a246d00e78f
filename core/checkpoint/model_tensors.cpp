#include "core/checkpoint/model_tensors.h"

#include "core/checkpoint/safetensors.h"
#include "core/error.h"

namespace tf {
namespace {

ModelTensor replicated(const std::string& name, const torch::Tensor& param) {
  return {name, param, token_shard(param.size(0), 1, 0), false};
}

}  // namespace

std::vector<int64_t> ModelTensor::global_shape() const {
  std::vector<int64_t> shape = param.sizes().vec();
  shape[0] = rows.total;
  return shape;
}

std::vector<ModelTensor> model_tensors(const TokenFormer& model) {
  static const char* const kLayerNames[] = {"query", "key", "value", "proj", "mlp"};
  std::vector<ModelTensor> all;
  if (model->embedding.defined()) all.push_back(replicated("embedding", model->embedding));
  const int64_t first = model->pipeline_layers().first;
  for (size_t i = 0; i < model->blocks.size(); ++i) {
    const auto layers = model->blocks[i]->pattentions();
    const std::string block = "blocks." + std::to_string(first + static_cast<int64_t>(i)) + ".";
    for (size_t j = 0; j < layers.size(); ++j) {
      const std::string prefix = block + kLayerNames[j] + ".";
      all.push_back({prefix + "key_tokens", layers[j]->key_tokens, layers[j]->shard(), true});
      all.push_back({prefix + "value_tokens", layers[j]->value_tokens, layers[j]->shard(), true});
    }
  }
  if (model->pipeline_layers().heads) {
    all.push_back(replicated("final_norm.weight", model->final_norm_weight));
    all.push_back(replicated("final_norm.bias", model->final_norm_bias));
  }
  return all;
}

torch::Tensor read_model_rows(const CheckpointReader& checkpoint, const std::string& name,
                              const ModelTensor& t) {
  std::vector<int64_t> expected = t.global_shape();
  const TensorInfo* info = checkpoint.has(name) ? &checkpoint.manifest().tensors.at(name) : nullptr;
  if (info == nullptr) {
    throw Error(checkpoint.directory() + ": tensor '" + name + "' is missing from the checkpoint");
  }
  if (info->shape != expected) {
    throw Error(checkpoint.directory() + ": tensor '" + name + "' has shape " +
                shape_text(info->shape) + ", the model needs " + shape_text(expected));
  }
  std::vector<torch::Tensor> parts;
  for (const TokenRange& r : t.rows.ranges) {
    parts.push_back(checkpoint.rows(name, r.offset, r.offset + r.count));
  }
  return parts.size() == 1 ? parts[0] : torch::cat(parts);
}

TokenCounts token_counts_from_rows(const int64_t (&rows)[3], const std::string& where,
                                   const std::string (&names)[3]) {
  for (int i = 0; i < 3; ++i) {
    if (rows[i] < 1) {
      throw Error(where + ": tensor '" + names[i] + "' has " + std::to_string(rows[i]) +
                  " rows; a Pattention layer needs at least one parameter token");
    }
  }
  return {rows[0], rows[1], rows[2]};
}

TokenCounts stored_token_counts(const CheckpointReader& checkpoint) {
  int64_t rows[3] = {0, 0, 0};
  const std::string names[3] = {kTokenCountTensors[0], kTokenCountTensors[1],
                                kTokenCountTensors[2]};
  for (int i = 0; i < 3; ++i) {
    if (!checkpoint.has(names[i])) {
      throw Error(checkpoint.directory() + ": tensor '" + names[i] + "' is missing");
    }
    rows[i] = checkpoint.manifest().tensors.at(names[i]).shape.at(0);
  }
  return token_counts_from_rows(rows, checkpoint.directory(), names);
}

std::string frozen_scale_name(int64_t index) { return "tau." + std::to_string(index); }

void read_frozen_scales(const CheckpointReader& checkpoint, TokenFormer& model) {
  auto layers = model->pattentions();
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string name = frozen_scale_name(model->first_pattention() + int64_t(i));
    layers[i]->set_tau(checkpoint.has(name) ? checkpoint.tensor(name).item<double>() : 0.0);
  }
}

}  // namespace tf
