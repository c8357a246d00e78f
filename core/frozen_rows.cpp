#include "core/frozen_rows.h"

#include "core/checkpoint/adamw_state.h"
#include "core/error.h"
#include "core/growth.h"

namespace tf {

std::vector<FrozenRows> frozen_rows(const TokenFormerImpl& model, const TokenCounts& old) {
  std::vector<FrozenRows> frozen;
  const auto layers = model.pattentions();
  for (size_t i = 0; i < layers.size(); ++i) {
    const PattentionImpl& layer = *layers[i].ptr();
    const size_t index = static_cast<size_t>(model.first_pattention()) + i;
    const int64_t rows = layer.shard().rows_below(tokens_of_pattention(old, index));
    if (rows == 0) continue;
    frozen.push_back({layer.key_tokens, rows});
    frozen.push_back({layer.value_tokens, rows});
  }
  return frozen;
}

void zero_frozen_gradients(const std::vector<FrozenRows>& frozen) {
  torch::NoGradGuard no_grad;
  for (const FrozenRows& f : frozen) {
    if (f.param.grad().defined()) f.param.mutable_grad().narrow(0, 0, f.rows).zero_();
  }
}

FrozenRowsKeeper::FrozenRowsKeeper(torch::optim::AdamW& optimizer,
                                   const std::vector<FrozenRows>& frozen)
    : optimizer_(optimizer) {
  torch::NoGradGuard no_grad;
  for (const FrozenRows& f : frozen) {
    Kept kept{f, f.param.detach().narrow(0, 0, f.rows).clone(), {}, {}};
    if (const auto state = get_adamw_state(optimizer_, f.param)) {
      kept.exp_avg = state->exp_avg.narrow(0, 0, f.rows).clone();
      kept.exp_avg_sq = state->exp_avg_sq.narrow(0, 0, f.rows).clone();
    }
    kept_.push_back(std::move(kept));
  }
}

void FrozenRowsKeeper::restore() {
  torch::NoGradGuard no_grad;
  for (const Kept& k : kept_) {
    const int64_t rows = k.where.rows;
    k.where.param.detach().narrow(0, 0, rows).copy_(k.values);
    const auto state = get_adamw_state(optimizer_, k.where.param);
    if (!state) continue;  // no step was taken
    if (k.exp_avg.defined()) {
      state->exp_avg.narrow(0, 0, rows).copy_(k.exp_avg);
      state->exp_avg_sq.narrow(0, 0, rows).copy_(k.exp_avg_sq);
    } else {
      state->exp_avg.narrow(0, 0, rows).zero_();
      state->exp_avg_sq.narrow(0, 0, rows).zero_();
    }
  }
}

}  // namespace tf
