// Built with AVX2, FMA and OpenMP (core/CMakeLists.txt) where TF_CPU_ROW_KERNELS is defined: the
// vector types are ATen's AVX2 ones, and at::parallel_for runs on LibTorch's own OpenMP threads.
#include "core/cpu/row_kernels.h"

#ifdef TF_CPU_ROW_KERNELS
#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>
#endif

namespace tf::cpu_rows {

#ifndef TF_CPU_ROW_KERNELS

bool available() { return false; }

#else

namespace {

template <typename A>
using Vec = at::vec::Vectorized<A>;

// The arithmetic type of a storage type.
template <typename T>
struct AccOf {
  using type = T;
};
template <>
struct AccOf<c10::BFloat16> {
  using type = float;
};
template <typename T>
using Acc = typename AccOf<T>::type;

// `count` (at most one vector) elements in, and out, in the arithmetic type; lanes past `count`
// read as 0.
template <typename A>
Vec<A> load(const A* p, int64_t count) {
  return Vec<A>::loadu(p, count);
}
// bf16: a whole vector through ATen's AVX2 conversions, a row's tail through its partial loads
// (which copy through a buffer, several times slower).
Vec<float> load(const c10::BFloat16* p, int64_t count) {
  if (count == Vec<float>::size()) {
    __m256 out;
    at::vec::cvtbf16_fp32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), out);
    return out;
  }
  return std::get<0>(at::vec::convert_bfloat16_float(Vec<c10::BFloat16>::loadu(p, count)));
}
template <typename A>
void store(A* p, const Vec<A>& v, int64_t count) {
  v.store(p, count);
}
void store(c10::BFloat16* p, const Vec<float>& v, int64_t count) {
  if (count == Vec<float>::size()) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), at::vec::cvtfp32_bf16(__m256(v)));
    return;
  }
  at::vec::convert_float_bfloat16(v, Vec<float>(0)).store(p, count);
}

template <typename A>
A sum_lanes(const Vec<A>& v) {
  A lanes[Vec<A>::size()];
  v.store(lanes);
  A total = 0;
  for (A x : lanes) total += x;
  return total;
}

// A row's sum: vector partial sums, added up in fp64 every 32 vectors, so that a row of tens of
// thousands of fp32 terms sums about as accurately as LibTorch's cascade sum.
template <typename A>
class RowSum {
 public:
  void add(const Vec<A>& v) {
    part_ += v;
    if (++count_ == 32) flush();
  }
  A value() {
    flush();
    return static_cast<A>(total_);
  }

 private:
  void flush() {
    total_ += sum_lanes(part_);
    part_ = Vec<A>(A(0));
    count_ = 0;
  }
  Vec<A> part_{A(0)};
  double total_ = 0;
  int count_ = 0;
};

// Exact gelu(y) = y Φ(y) and gelu′(y) = Φ(y) + y φ(y). Φ(y) = ½(1 + erf(y/√2)) with ATen's
// vectorized erf, the one LibTorch's own gelu uses: in fp32 the Abramowitz-Stegun polynomial
// times exp(−y²/2), an exponential that φ(y) shares, so Φ and φ together cost one exp here; in
// fp64 Sleef's erf and exp.
template <typename A>
struct NormalParts {
  Vec<A> cdf, pdf;
};
constexpr double kInvSqrt2Pi = 0.5 * M_2_SQRTPI * M_SQRT1_2;

template <typename A>
inline NormalParts<A> normal_parts(const Vec<A>& y) {
  const Vec<A> half(A(0.5));
  if constexpr (std::is_same_v<A, float>) {
    const Vec<A> one(1.0f);
    const Vec<A> t = one / at::vec::fmadd(Vec<A>(0.3275911f * float(M_SQRT1_2)), y.abs(), one);
    Vec<A> r = at::vec::fmadd(Vec<A>(1.061405429f), t, Vec<A>(-1.453152027f));
    r = at::vec::fmadd(r, t, Vec<A>(1.421413741f));
    r = at::vec::fmadd(r, t, Vec<A>(-0.284496736f));
    r = at::vec::fmadd(r, t, Vec<A>(0.254829592f));
    const Vec<A> e = (Vec<A>(-0.5f) * y * y).exp();
    const Vec<A> erf_abs = one - r * t * e;  // erf(|y|/√2)
    const Vec<A> erf = Vec<A>::blendv(erf_abs, Vec<A>(0.0f) - erf_abs, y < Vec<A>(0.0f));
    return {half * (one + erf), e * Vec<A>(float(kInvSqrt2Pi))};
  } else {
    return {half * (Vec<A>(A(1)) + (y * Vec<A>(A(M_SQRT1_2))).erf()),
            (Vec<A>(A(-0.5)) * y * y).exp() * Vec<A>(A(kInvSqrt2Pi))};
  }
}
template <typename A>
inline Vec<A> gelu(const Vec<A>& y) {
  if constexpr (std::is_same_v<A, float>) {
    return y * normal_parts(y).cdf;
  } else {
    return y * Vec<A>(A(0.5)) * (Vec<A>(A(1)) + (y * Vec<A>(A(M_SQRT1_2))).erf());
  }
}
template <typename A>
inline Vec<A> gelu_grad(const Vec<A>& y) {
  const NormalParts<A> p = normal_parts(y);
  return p.cdf + y * p.pdf;
}

// The three Θ of docs/model.md, element by element. c is the row's coefficient, m its maximum
// (softmax only); `backward` returns the part of ∂L/∂a with t held fixed and adds the element's
// share of the sum that ∂L/∂t is made of to `dot`.
struct L2NormGelu {
  template <typename A>
  static Vec<A> stat_term(const Vec<A>& a, const Vec<A>&) {
    return a * a;
  }
  template <typename A>
  static A coefficient(A total, const RowNorm& r) {
    return A(r.scale) / std::sqrt(total + A(r.eps));
  }
  template <typename A>
  static Vec<A> forward(const Vec<A>& a, const Vec<A>& c, const Vec<A>&) {
    return gelu(a * c);
  }
  template <typename A>
  static Vec<A> backward(const Vec<A>& gs, const Vec<A>& a, const Vec<A>& c, const Vec<A>&,
                         Vec<A>& dot) {
    const Vec<A> g = gs * gelu_grad(a * c);
    dot = at::vec::fmadd(g, a, dot);
    return c * g;
  }
  template <typename A>
  static A total_grad(A dot, A c, A total, const RowNorm& r) {
    return A(-0.5) * c / (total + A(r.eps)) * dot;
  }
  template <typename A>
  static Vec<A> stat_grad(const Vec<A>& a, const Vec<A>&) {
    return a + a;
  }
};

struct GeluL2Norm {
  template <typename A>
  static Vec<A> stat_term(const Vec<A>& a, const Vec<A>&) {
    const Vec<A> h = gelu(a);
    return h * h;
  }
  template <typename A>
  static A coefficient(A total, const RowNorm& r) {
    return L2NormGelu::coefficient(total, r);
  }
  template <typename A>
  static Vec<A> forward(const Vec<A>& a, const Vec<A>& c, const Vec<A>&) {
    return gelu(a) * c;
  }
  template <typename A>
  static Vec<A> backward(const Vec<A>& gs, const Vec<A>& a, const Vec<A>& c, const Vec<A>&,
                         Vec<A>& dot) {
    const NormalParts<A> p = normal_parts(a);
    dot = at::vec::fmadd(gs, a * p.cdf, dot);
    return gs * c * (p.cdf + a * p.pdf);
  }
  template <typename A>
  static A total_grad(A dot, A c, A total, const RowNorm& r) {
    return L2NormGelu::total_grad(dot, c, total, r);
  }
  template <typename A>
  static Vec<A> stat_grad(const Vec<A>& a, const Vec<A>&) {
    const NormalParts<A> p = normal_parts(a);
    return Vec<A>(A(2)) * a * p.cdf * (p.cdf + a * p.pdf);
  }
};

struct Softmax {
  template <typename A>
  static Vec<A> stat_term(const Vec<A>& a, const Vec<A>& m) {
    return (a - m).exp();
  }
  template <typename A>
  static A coefficient(A total, const RowNorm& r) {
    return A(r.scale) / total;
  }
  template <typename A>
  static Vec<A> forward(const Vec<A>& a, const Vec<A>& c, const Vec<A>& m) {
    return (a - m).exp() * c;
  }
  template <typename A>
  static Vec<A> backward(const Vec<A>& gs, const Vec<A>& a, const Vec<A>& c, const Vec<A>& m,
                         Vec<A>& dot) {
    const Vec<A> e = (a - m).exp();
    dot = at::vec::fmadd(gs, e, dot);
    return gs * e * c;
  }
  template <typename A>
  static A total_grad(A dot, A c, A total, const RowNorm&) {
    return -c / total * dot;
  }
  template <typename A>
  static Vec<A> stat_grad(const Vec<A>& a, const Vec<A>& m) {
    return (a - m).exp();
  }
};

// One row's passes. Lanes past the row's end are masked out of every sum and maximum.
template <typename T, typename F>
void for_chunks(int64_t n, F&& f) {
  constexpr int64_t kLanes = Vec<Acc<T> >::size();
  for (int64_t j = 0; j < n; j += kLanes) f(j, std::min(kLanes, n - j));
}

template <typename T, typename A = Acc<T> >
A row_max(const T* a, int64_t n) {
  Vec<A> best(-std::numeric_limits<A>::infinity());
  for_chunks<T>(n, [&](int64_t j, int64_t k) {
    best = at::vec::maximum(best, Vec<A>::set(best, load(a + j, k), k));
  });
  A lanes[Vec<A>::size()];
  best.store(lanes);
  return *std::max_element(lanes, lanes + Vec<A>::size());
}

template <typename P, typename T, typename A = Acc<T> >
A row_stat(const T* a, int64_t n, A m) {
  RowSum<A> sum;
  for_chunks<T>(n, [&](int64_t j, int64_t k) {
    sum.add(Vec<A>::set(Vec<A>(0), P::stat_term(load(a + j, k), Vec<A>(m)), k));
  });
  return sum.value();
}

template <typename P, typename T, typename A = Acc<T> >
void row_forward(const T* a, A c, A m, T* s, int64_t n) {
  for_chunks<T>(n, [&](int64_t j, int64_t k) {
    store(s + j, P::forward(load(a + j, k), Vec<A>(c), Vec<A>(m)), k);
  });
}

// Writes the direct part of ∂L/∂a to `out` (T or A) and returns the row's sum for ∂L/∂t.
template <typename P, typename T, typename O, typename A = Acc<T> >
A row_backward(const T* gs, const T* a, A c, A m, O* out, int64_t n) {
  RowSum<A> dot;
  for_chunks<T>(n, [&](int64_t j, int64_t k) {
    Vec<A> part(0);
    const Vec<A> direct = P::backward(load(gs + j, k), load(a + j, k), Vec<A>(c), Vec<A>(m), part);
    dot.add(Vec<A>::set(Vec<A>(0), part, k));
    store(out + j, direct, k);
  });
  return dot.value();
}

// Rows [0, rows) over LibTorch's intra-op threads, in chunks of about 16k elements.
template <typename F>
void for_rows(RowShape shape, F&& f) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(shape.n, 1));
  at::parallel_for(0, shape.rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) f(row, row * shape.n);
  });
}

template <typename P, typename T, typename A = Acc<T> >
struct Kernels {
  static void stat(const RowNorm&, const T* a, const A* max, A* total, RowShape shape) {
    for_rows(shape, [&](int64_t row, int64_t at) {
      total[row] = row_stat<P>(a + at, shape.n, max ? max[row] : A(0));
    });
  }
  static void forward(const RowNorm& r, const T* a, const A* total, const A* max, T* s,
                      RowShape shape) {
    for_rows(shape, [&](int64_t row, int64_t at) {
      row_forward<P>(a + at, P::coefficient(total[row], r), max ? max[row] : A(0), s + at, shape.n);
    });
  }
  static void backward(const RowNorm& r, const T* gs, const T* a, const A* total, const A* max,
                       T* ga, A* grad_total, RowShape shape) {
    for_rows(shape, [&](int64_t row, int64_t at) {
      const A c = P::coefficient(total[row], r);
      const A dot = row_backward<P>(gs + at, a + at, c, max ? max[row] : A(0), ga + at, shape.n);
      grad_total[row] = P::total_grad(dot, c, total[row], r);
    });
  }
  static void stat_backward(const RowNorm&, const A* grad_total, const T* a, const A* max, T* ga,
                            RowShape shape) {
    for_rows(shape, [&](int64_t row, int64_t at) {
      const Vec<A> m(max ? max[row] : A(0)), gt(grad_total[row]);
      for_chunks<T>(shape.n, [&](int64_t j, int64_t k) {
        store(ga + at + j, P::stat_grad(load(a + at + j, k), m) * gt, k);
      });
    });
  }
  static void fused_forward(const RowNorm& r, const T* a, T* s, A* total, A* max, RowShape shape) {
    for_rows(shape, [&](int64_t row, int64_t at) {
      const A m = max ? (max[row] = row_max(a + at, shape.n)) : A(0);
      total[row] = row_stat<P>(a + at, shape.n, m);
      row_forward<P>(a + at, P::coefficient(total[row], r), m, s + at, shape.n);
    });
  }
  static void fused_backward(const RowNorm& r, const T* gs, const T* a, const A* total,
                             const A* max, T* ga, RowShape shape) {
    for_rows(shape, [&](int64_t row, int64_t at) {
      thread_local std::vector<A> direct;
      direct.resize(static_cast<size_t>(shape.n));
      const A c = P::coefficient(total[row], r), m = max ? max[row] : A(0);
      const Vec<A> gt(P::total_grad(row_backward<P>(gs + at, a + at, c, m, direct.data(), shape.n),
                                    c, total[row], r));
      for_chunks<T>(shape.n, [&](int64_t j, int64_t k) {
        const Vec<A> through_total = P::stat_grad(load(a + at + j, k), Vec<A>(m)) * gt;
        store(ga + at + j, load(direct.data() + j, k) + through_total, k);
      });
    });
  }
};

// Calls f(Kernels<P, T>{}) for the norm and element type.
template <typename F>
void dispatch(const RowNorm& r, Element type, F&& f) {
  const auto with_type = [&](auto policy) {
    using P = decltype(policy);
    switch (type) {
      case Element::kFloat32:
        return f(Kernels<P, float>{});
      case Element::kFloat64:
        return f(Kernels<P, double>{});
      case Element::kBFloat16:
        return f(Kernels<P, c10::BFloat16>{});
    }
  };
  switch (r.norm) {
    case PattentionNorm::kL2NormGelu:
      return with_type(L2NormGelu{});
    case PattentionNorm::kGeluL2Norm:
      return with_type(GeluL2Norm{});
    case PattentionNorm::kSoftmax:
      return with_type(Softmax{});
  }
}

// Typed views of the raw pointers: elements as K's storage type, statistics as its Acc.
template <typename K>
struct Types;
template <typename P, typename T, typename A>
struct Types<Kernels<P, T, A> > {
  using Element = T;
  using Stat = A;
};
template <typename K>
auto elements(const void* p) {
  return static_cast<const typename Types<K>::Element*>(p);
}
template <typename K>
auto elements(void* p) {
  return static_cast<typename Types<K>::Element*>(p);
}
template <typename K>
auto stats(const void* p) {
  return static_cast<const typename Types<K>::Stat*>(p);
}
template <typename K>
auto stats(void* p) {
  return static_cast<typename Types<K>::Stat*>(p);
}

}  // namespace

bool available() {
  static const bool cpu_has_them = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cpu_has_them;
}

void stat(const RowNorm& r, Element type, const void* a, const void* max, void* total,
          RowShape shape) {
  dispatch(r, type, [&](auto k) {
    using K = decltype(k);
    K::stat(r, elements<K>(a), stats<K>(max), stats<K>(total), shape);
  });
}

void forward(const RowNorm& r, Element type, const void* a, const void* total, const void* max,
             void* s, RowShape shape) {
  dispatch(r, type, [&](auto k) {
    using K = decltype(k);
    K::forward(r, elements<K>(a), stats<K>(total), stats<K>(max), elements<K>(s), shape);
  });
}

void backward(const RowNorm& r, Element type, const void* grad_s, const void* a, const void* total,
              const void* max, void* grad_a, void* grad_total, RowShape shape) {
  dispatch(r, type, [&](auto k) {
    using K = decltype(k);
    K::backward(r, elements<K>(grad_s), elements<K>(a), stats<K>(total), stats<K>(max),
                elements<K>(grad_a), stats<K>(grad_total), shape);
  });
}

void stat_backward(const RowNorm& r, Element type, const void* grad_total, const void* a,
                   const void* max, void* grad_a, RowShape shape) {
  dispatch(r, type, [&](auto k) {
    using K = decltype(k);
    K::stat_backward(r, stats<K>(grad_total), elements<K>(a), stats<K>(max), elements<K>(grad_a),
                     shape);
  });
}

void fused_forward(const RowNorm& r, Element type, const void* a, void* s, void* total, void* max,
                   RowShape shape) {
  dispatch(r, type, [&](auto k) {
    using K = decltype(k);
    K::fused_forward(r, elements<K>(a), elements<K>(s), stats<K>(total), stats<K>(max), shape);
  });
}

void fused_backward(const RowNorm& r, Element type, const void* grad_s, const void* a,
                    const void* total, const void* max, void* grad_a, RowShape shape) {
  dispatch(r, type, [&](auto k) {
    using K = decltype(k);
    K::fused_backward(r, elements<K>(grad_s), elements<K>(a), stats<K>(total), stats<K>(max),
                      elements<K>(grad_a), shape);
  });
}

#endif

}  // namespace tf::cpu_rows
