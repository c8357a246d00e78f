#include "core/checkpoint/model_tensors.h"

namespace tf {
namespace {

ModelTensor replicated(const std::string& name, const torch::Tensor& param) {
  return {name, param, TokenShard{0, param.size(0), param.size(0)}, false};
}

}  // namespace

std::vector<int64_t> ModelTensor::global_shape() const {
  std::vector<int64_t> shape = param.sizes().vec();
  shape[0] = rows.total;
  return shape;
}

std::vector<ModelTensor> model_tensors(const TokenFormer& model) {
  static const char* const kLayerNames[] = {"query", "key", "value", "proj", "mlp"};
  std::vector<ModelTensor> all{replicated("embedding", model->embedding)};
  for (size_t i = 0; i < model->blocks.size(); ++i) {
    const auto layers = model->blocks[i]->pattentions();
    for (size_t j = 0; j < layers.size(); ++j) {
      const std::string prefix = "blocks." + std::to_string(i) + "." + kLayerNames[j] + ".";
      all.push_back({prefix + "key_tokens", layers[j]->key_tokens, layers[j]->shard(), true});
      all.push_back({prefix + "value_tokens", layers[j]->value_tokens, layers[j]->shard(), true});
    }
  }
  all.push_back(replicated("final_norm.weight", model->final_norm_weight));
  all.push_back(replicated("final_norm.bias", model->final_norm_bias));
  return all;
}

}  // namespace tf
