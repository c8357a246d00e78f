// Sizes read from files, configs and requests, multiplied without wrapping around: each reader
// turns a nullopt into a tf::Error naming its file and field.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace tf {

// The largest model dimension, token count or batch size a config or a control request may give:
// below 2^31, so that the product of any two fits in int64_t.
constexpr int64_t kMaxSize = (int64_t{1} << 31) - 1;

// a x b for non-negative a and b; nullopt when either is negative or the product exceeds int64_t.
inline std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  int64_t product = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

// The element count of a tensor of `shape`; nullopt when a dimension is negative, or when the
// count, or the product of the non-zero dimensions (what LibTorch's strides reach), exceeds
// int64_t.
inline std::optional<int64_t> checked_numel(const std::vector<int64_t>& shape) {
  int64_t numel = 1, strides = 1;
  for (const int64_t d : shape) {
    const auto next = checked_mul(strides, d == 0 ? 1 : d);
    if (!next) return std::nullopt;
    strides = *next;
    numel = d == 0 ? 0 : numel;
  }
  return numel == 0 ? 0 : strides;
}

}  // namespace tf
