// Rotary position embedding in the GPT-NeoX "rotate half" convention (docs/model.md, Rotary
// embedding), applied to the first `rotary_dims` dimensions of every head; cos/sin are indexed by
// sequence position.
#pragma once

#include <torch/torch.h>

namespace tf {

// The base of the rotary frequencies, base^(-2i/dims) (GPT-NeoX's rotary_emb_base).
inline constexpr double kRotaryBase = 10000.0;

class Rotary {
 public:
  Rotary(int64_t head_dim, double rotary_pct, double base = kRotaryBase);

  // x: [batch, heads, seq, head_dim]; returns x with its first rotary_dims() dims rotated.
  torch::Tensor apply(const torch::Tensor& x) const;
  int64_t rotary_dims() const { return dims_; }

 private:
  int64_t dims_;
  torch::Tensor inv_freq_;  // [dims / 2], fp32, on the CPU
  // cos and sin [seq, dims] of the last apply's length, device and dtype: computed once, not per
  // layer and step (no host-to-device copy in the step).
  mutable torch::Tensor cos_, sin_;
};

}  // namespace tf
