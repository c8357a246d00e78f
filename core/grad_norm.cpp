#include "core/grad_norm.h"

namespace tf {

double clip_to_global_norm(GradSquares squares, const NormGroups& groups, double max_norm,
                           const std::vector<torch::Tensor>& grads) {
  groups.sum_over_tp(squares.token_shards);
  torch::Tensor total = squares.token_shards + squares.replicated;
  groups.sum_over_pp(total);
  const double norm = total.sqrt().item<double>();
  if (max_norm > 0 && norm > max_norm) {
    const double factor = max_norm / (norm + 1e-6);
    for (const torch::Tensor& grad : grads) {
      if (grad.defined()) grad.mul_(factor);
    }
  }
  return norm;
}

}  // namespace tf
