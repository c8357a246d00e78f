#include "core/rotary.h"

#include <cmath>

namespace tf {

Rotary::Rotary(int64_t head_dim, double rotary_pct, double base)
    : dims_(static_cast<int64_t>(std::floor(head_dim * rotary_pct))) {
  dims_ -= dims_ % 2;  // rotate-half needs an even count
  inv_freq_ = 1.0 / torch::pow(base, torch::arange(0, dims_, 2, torch::kFloat64) / dims_);
  inv_freq_ = inv_freq_.to(torch::kFloat32);
}

torch::Tensor Rotary::apply(const torch::Tensor& x) const {
  if (dims_ == 0) return x;
  const int64_t seq = x.size(-2);
  if (!cos_.defined() || cos_.size(0) != seq || cos_.device() != x.device() ||
      cos_.scalar_type() != x.scalar_type()) {
    const auto positions = torch::arange(seq, torch::kFloat32);
    const auto freqs = torch::outer(positions, inv_freq_);  // [seq, dims/2]
    const auto angles = torch::cat({freqs, freqs}, -1);     // [seq, dims]
    cos_ = angles.cos().to(x.device(), x.scalar_type());
    sin_ = angles.sin().to(x.device(), x.scalar_type());
  }
  const torch::Tensor& cos = cos_;
  const torch::Tensor& sin = sin_;
  const auto rot = x.narrow(-1, 0, dims_);
  const auto pass = x.narrow(-1, dims_, x.size(-1) - dims_);
  const auto first = rot.narrow(-1, 0, dims_ / 2);
  const auto second = rot.narrow(-1, dims_ / 2, dims_ / 2);
  const auto rotated = torch::cat({-second, first}, -1);
  return torch::cat({rot * cos + rotated * sin, pass}, -1);
}

}  // namespace tf
