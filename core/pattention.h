// Pattention: attention of the input over learnable parameter tokens (docs/model.md, Pattention).
//   A = X Kᵀ,  S = Θ(A),  O = S V
// The layer holds this rank's shard of the rows of K [n, d_in] and V [n, d_out]; the statistics
// that Θ normalises by are reduced over the token-parallel group, so the result is the full
// layer's.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>

#include "core/config_choices.h"
#include "core/pattention_row_types.h"
#include "core/token_parallel.h"

namespace tf {

class PattentionImpl : public torch::nn::Module {
 public:
  // `total_tokens` is n over the whole group; this module holds `shard` of them.
  PattentionImpl(int64_t d_in, int64_t d_out, TokenShard shard, PattentionNorm norm);

  // Full layer on one input: enter region, scores, reduced statistic, activation, output sum.
  torch::Tensor forward(const torch::Tensor& x, const TokenParallelOps& ops);

  // The steps of forward, for callers that fuse the collectives of several layers sharing X:
  // x must already be inside the region.
  torch::Tensor scores(const torch::Tensor& x) const;
  // Per-row local statistic [..., 1] (at least fp32) that sum_stats reduces. For softmax `row_max`
  // is the group maximum of the scores; otherwise it is ignored.
  torch::Tensor local_stat(const torch::Tensor& scores, const torch::Tensor& row_max = {}) const;
  // S from the scores and the group-reduced statistic; then the local partial output S V. A group
  // of one rank can take fused_rows(scores, rows()) instead of the three steps.
  torch::Tensor activate(const torch::Tensor& scores, const torch::Tensor& total_stat,
                         const torch::Tensor& row_max = {}) const;
  torch::Tensor mix(const torch::Tensor& s) const;

  // τ (or n for softmax) unless overridden; growth with `preserve` freezes it.
  double scale() const;
  // Θ as core/pattention_rows.h takes it.
  RowNorm rows() const { return {norm_, scale()}; }
  // Per-row maximum of the scores (at least fp32, no gradient), the input of max_stats.
  static torch::Tensor row_max(const torch::Tensor& scores);
  void set_tau(double tau) { tau_ = tau; }
  double tau_override() const { return tau_; }

  PattentionNorm norm() const { return norm_; }
  const TokenShard& shard() const { return shard_; }
  int64_t d_in() const { return key_tokens.size(1); }
  int64_t d_out() const { return value_tokens.size(1); }

  // Growth by m tokens in two steps, so that a failed allocation changes nothing. grown_rows
  // takes `new_keys` [m, d_in] and `new_values` [m, d_out], the whole new block (identical on
  // every rank of the group), and returns this rank's [old; share of new] rows of K and V; it
  // allocates and leaves the layer as it is. adopt_rows makes them the layer's (no allocation).
  // Parameters keep their identity with new shapes, so callers must rebuild optimizers.
  std::pair<torch::Tensor, torch::Tensor> grown_rows(const torch::Tensor& new_keys,
                                                     const torch::Tensor& new_values, int64_t parts,
                                                     int64_t rank) const;
  void adopt_rows(const std::pair<torch::Tensor, torch::Tensor>& rows, int64_t added, int64_t parts,
                  int64_t rank);

  torch::Tensor key_tokens;    // [n_local, d_in]
  torch::Tensor value_tokens;  // [n_local, d_out]

 private:
  TokenShard shard_;
  PattentionNorm norm_;
  double tau_ = 0;  // 0: default
};
TORCH_MODULE(Pattention);

}  // namespace tf
