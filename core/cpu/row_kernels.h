// CPU kernels of the row-wise part Θ of a Pattention (docs/model.md, "Fused row passes"), on raw
// pointers: one row of n contiguous scores at a time, rows spread over LibTorch's intra-op threads.
// Elements are fp32, bf16 or fp64; per-row statistics (total t, maximum m, ∂L/∂t) are fp64 for
// fp64 elements and fp32 otherwise, and all arithmetic is in that type. Built with AVX2 and FMA
// (ATen's vector types) on x86-64; `available()` says whether this CPU can run them.
#pragma once

#include <cstdint>

#include "core/config_choices.h"

namespace tf::cpu_rows {

enum class Element { kFloat32, kFloat64, kBFloat16 };

// One Θ: the norm, its scale s₀ (τ, or n for softmax) and the ε under the square root.
struct RowNorm {
  PattentionNorm norm;
  double scale;
  double eps;
};

struct RowShape {
  int64_t rows;
  int64_t n;
};

// Whether the kernels were built for this machine and its CPU runs them (AVX2 and FMA).
bool available();

// The local statistic t per row (softmax: Σ exp(a − m) with the given maxima).
void stat(const RowNorm& norm, Element type, const void* a, const void* max, void* total,
          RowShape shape);
// S from A and the group's t (and m).
void forward(const RowNorm& norm, Element type, const void* a, const void* total, const void* max,
             void* s, RowShape shape);
// ∂L/∂A with t held fixed, and ∂L/∂t per row.
void backward(const RowNorm& norm, Element type, const void* grad_s, const void* a,
              const void* total, const void* max, void* grad_a, void* grad_total, RowShape shape);
// ∂L/∂A of the local statistic: ∂t/∂a ⊙ ∂L/∂t.
void stat_backward(const RowNorm& norm, Element type, const void* grad_total, const void* a,
                   const void* max, void* grad_a, RowShape shape);
// A group of one rank: per row, m (softmax), t and S in one pass over the row in cache.
void fused_forward(const RowNorm& norm, Element type, const void* a, void* s, void* total,
                   void* max, RowShape shape);
// A group of one rank: the whole ∂L/∂A, both parts, per row in one pass.
void fused_backward(const RowNorm& norm, Element type, const void* grad_s, const void* a,
                    const void* total, const void* max, void* grad_a, RowShape shape);

}  // namespace tf::cpu_rows
