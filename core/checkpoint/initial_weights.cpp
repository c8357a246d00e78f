#include "core/checkpoint/initial_weights.h"

#include <filesystem>

#include "core/checkpoint/authors_layout.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/model_tensors.h"
#include "core/checkpoint/stored_model.h"
#include "core/error.h"

namespace tf {

InitialWeights::InitialWeights(std::string path, int64_t num_layers) : path_(std::move(path)) {
  if (!path_exists(path_)) throw Error(path_ + ": model.init_from does not exist");
  if (is_hf_directory(path_)) {
    hf_.emplace(path_);
    tokens_ = hf_->tokens();
    return;
  }
  if (std::filesystem::is_directory(path_)) {
    checkpoint_.emplace(path_);
    tokens_ = stored_token_counts(*checkpoint_);
    return;
  }
  authors_.emplace(decode_safetensors(read_file(path_), path_));
  int64_t rows[3] = {0, 0, 0};
  std::string keys[3];
  for (int i = 0; i < 3; ++i) {
    keys[i] = authors_key(kTokenCountTensors[i], num_layers);
    const auto found = authors_->tensors.find(keys[i]);
    if (found == authors_->tensors.end() || found->second.dim() != 2) {
      throw Error(path_ + ": tensor '" + keys[i] + "' is missing or not a matrix");
    }
    rows[i] = found->second.size(0);
  }
  tokens_ = token_counts_from_rows(rows, path_, keys);
}

void InitialWeights::load_into(TokenFormer& model) const {
  if (authors_) return import_authors_layout(*authors_, path_, model);
  if (hf_) return hf_->load_into(model);
  check_holds_model(*checkpoint_, model->config(),
                    "model.init_from may hold fewer parameter tokens than the run's model (it is "
                    "grown), but its other sizes must be the run's");
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // checked first, then applied
  for (const ModelTensor& t : model_tensors(model)) {
    copies.emplace_back(t.param, read_model_rows(*checkpoint_, t.name, t));
  }
  torch::NoGradGuard no_grad;
  for (auto& [param, value] : copies) param.copy_(value);
}

double InitialWeights::flops_spent() const {
  return checkpoint_ ? checkpoint_->manifest().run.flops_spent : 0.0;
}

}  // namespace tf
