#include "core/pattention_rows.h"

#include <cstdlib>
#include <cstring>
#include <functional>

#include "core/cpu/row_kernels.h"
#include "core/cuda/pattention_rows_cuda.h"
#include "core/precision.h"

namespace tf {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

thread_local bool t_reference = false;

// ---- The CPU kernels: which tensors they take, and their raw views. Whether the reference is
// chosen is decided once, by the public functions at the end, before any autograd function runs.

bool cpu_kernels_take(const torch::Tensor& scores) {
  const auto type = scores.scalar_type();
  return scores.is_cpu() && cpu_rows::available() &&
         (type == torch::kFloat32 || type == torch::kFloat64 || type == torch::kBFloat16);
}

cpu_rows::Element element_of(const torch::Tensor& scores) {
  switch (scores.scalar_type()) {
    case torch::kFloat64:
      return cpu_rows::Element::kFloat64;
    case torch::kBFloat16:
      return cpu_rows::Element::kBFloat16;
    default:
      return cpu_rows::Element::kFloat32;
  }
}

cpu_rows::RowNorm kernel_norm(RowNorm norm) { return {norm.norm, norm.scale, kNormEps}; }

cpu_rows::RowShape shape_of(const torch::Tensor& scores) {
  const int64_t n = scores.size(-1);
  return {n > 0 ? scores.numel() / n : 0, n};
}

torch::ScalarType stat_type(const torch::Tensor& scores) {
  return scores.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
}

// A per-row statistic in the kernels' type (fp64 for fp64 scores, else fp32), contiguous.
torch::Tensor as_stat(const torch::Tensor& stat, const torch::Tensor& scores) {
  return stat.defined() ? stat.to(stat_type(scores)).contiguous() : stat;
}

// Zeros, so that rows of no tokens have t = 0.
torch::Tensor new_stat(const torch::Tensor& scores) {
  auto sizes = scores.sizes().vec();
  sizes.back() = 1;
  return torch::zeros(sizes, scores.options().dtype(stat_type(scores)));
}

const void* data_or_null(const torch::Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; }

// ---- The reference formulas' gradients, for tensors no kernel takes: LibTorch autograd.

variable_list reference_grads(const std::function<torch::Tensor(const variable_list&)>& f,
                              const variable_list& inputs, const torch::Tensor& grad) {
  torch::AutoGradMode enabled(true);
  variable_list leaves;
  for (const auto& x : inputs) leaves.push_back(x.detach().requires_grad_(true));
  return torch::autograd::grad({f(leaves)}, leaves, {grad});
}

torch::Tensor stat_backward(const torch::Tensor& grad_total, const torch::Tensor& scores,
                            const torch::Tensor& row_max, RowNorm norm) {
  if (cpu_kernels_take(scores)) {
    const torch::Tensor a = scores.contiguous(), grad = as_stat(grad_total, a);
    const torch::Tensor m = as_stat(row_max, a);
    torch::Tensor out = torch::empty_like(a);
    cpu_rows::stat_backward(kernel_norm(norm), element_of(a), grad.data_ptr(), a.data_ptr(),
                            data_or_null(m), out.data_ptr(), shape_of(a));
    return out;
  }
  return reference_grads(
      [&](const variable_list& x) { return rows_reference::stat(x[0], row_max, norm); }, {scores},
      grad_total)[0];
}

torch::Tensor activation_forward(const torch::Tensor& scores, const torch::Tensor& total,
                                 const torch::Tensor& row_max, RowNorm norm) {
  torch::Tensor s;
  if (rows_cuda_forward(scores, total, row_max, norm, s)) return s;
  if (cpu_kernels_take(scores)) {
    const torch::Tensor a = scores.contiguous(), t = as_stat(total, a), m = as_stat(row_max, a);
    s = torch::empty_like(a);
    cpu_rows::forward(kernel_norm(norm), element_of(a), a.data_ptr(), t.data_ptr(), data_or_null(m),
                      s.data_ptr(), shape_of(a));
    return s;
  }
  return rows_reference::activation(scores, total, row_max, norm);
}

RowGradients activation_backward(const torch::Tensor& grad_s, const torch::Tensor& scores,
                                 const torch::Tensor& total, const torch::Tensor& row_max,
                                 RowNorm norm) {
  RowGradients out;
  if (rows_cuda_backward(grad_s, scores, total, row_max, norm, /*whole=*/false, out)) return out;
  if (cpu_kernels_take(scores)) {
    const torch::Tensor a = scores.contiguous(), g = grad_s.to(a.scalar_type()).contiguous();
    const torch::Tensor t = as_stat(total, a), m = as_stat(row_max, a);
    out.scores = torch::empty_like(a);
    out.total = torch::empty_like(t);
    cpu_rows::backward(kernel_norm(norm), element_of(a), g.data_ptr(), a.data_ptr(), t.data_ptr(),
                       data_or_null(m), out.scores.data_ptr(), out.total.data_ptr(), shape_of(a));
    return out;
  }
  const variable_list grads = reference_grads(
      [&](const variable_list& x) { return rows_reference::activation(x[0], x[1], row_max, norm); },
      {scores, total}, grad_s);
  return {grads[0], grads[1]};
}

// Softmax's maxima, passed to the autograd functions outside their differentiable inputs (they
// take no gradient, and for the other norms there are none).
struct Maxima {
  torch::Tensor tensor;
};

void save_norm(AutogradContext* ctx, RowNorm norm) {
  ctx->saved_data["norm"] = static_cast<int64_t>(norm.norm);
  ctx->saved_data["scale"] = norm.scale;
}

RowNorm saved_norm(AutogradContext* ctx) {
  return {static_cast<PattentionNorm>(ctx->saved_data["norm"].toInt()),
          ctx->saved_data["scale"].toDouble()};
}

// ---- The autograd functions.

struct RowStat : torch::autograd::Function<RowStat> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& scores,
                               const Maxima& maxima, int64_t norm, double scale) {
    const RowNorm rows{static_cast<PattentionNorm>(norm), scale};
    const torch::Tensor& row_max = maxima.tensor;
    ctx->save_for_backward({scores, row_max});
    save_norm(ctx, rows);
    if (!cpu_kernels_take(scores)) return rows_reference::stat(scores, row_max, rows);
    const torch::Tensor a = scores.contiguous(), m = as_stat(row_max, a);
    torch::Tensor total = new_stat(a);
    cpu_rows::stat(kernel_norm(rows), element_of(a), a.data_ptr(), data_or_null(m),
                   total.data_ptr(), shape_of(a));
    return total;
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grads) {
    const auto saved = ctx->get_saved_variables();
    return {stat_backward(grads[0], saved[0], saved[1], saved_norm(ctx)), torch::Tensor(),
            torch::Tensor(), torch::Tensor()};
  }
};

struct RowActivation : torch::autograd::Function<RowActivation> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& scores,
                               const torch::Tensor& total, const Maxima& maxima, int64_t norm,
                               double scale) {
    const RowNorm rows{static_cast<PattentionNorm>(norm), scale};
    const torch::Tensor& row_max = maxima.tensor;
    ctx->save_for_backward({scores, total, row_max});
    save_norm(ctx, rows);
    return activation_forward(scores, total, row_max, rows);
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const RowGradients g =
        activation_backward(grads[0], saved[0], saved[1], saved[2], saved_norm(ctx));
    return {g.scores, g.total, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

struct FusedRows : torch::autograd::Function<FusedRows> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& scores, int64_t norm,
                               double scale) {
    const RowNorm rows{static_cast<PattentionNorm>(norm), scale};
    const bool softmax = rows.norm == PattentionNorm::kSoftmax;
    torch::Tensor s, total, row_max;
    if (cpu_kernels_take(scores)) {
      const torch::Tensor a = scores.contiguous();
      s = torch::empty_like(a);
      total = new_stat(a);
      if (softmax) row_max = new_stat(a);
      cpu_rows::fused_forward(kernel_norm(rows), element_of(a), a.data_ptr(), s.data_ptr(),
                              total.data_ptr(), softmax ? row_max.data_ptr() : nullptr,
                              shape_of(a));
    } else {
      if (softmax) row_max = row_maxima(scores);
      total = rows_reference::stat(scores, row_max, rows);
      s = activation_forward(scores, total, row_max, rows);
    }
    ctx->save_for_backward({scores, total, row_max});
    save_norm(ctx, rows);
    return s;
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &scores = saved[0], &total = saved[1], &row_max = saved[2];
    const RowNorm rows = saved_norm(ctx);
    if (cpu_kernels_take(scores)) {
      const torch::Tensor a = scores.contiguous(), g = grads[0].to(a.scalar_type()).contiguous();
      torch::Tensor out = torch::empty_like(a);
      cpu_rows::fused_backward(kernel_norm(rows), element_of(a), g.data_ptr(), a.data_ptr(),
                               total.data_ptr(), data_or_null(row_max), out.data_ptr(),
                               shape_of(a));
      return {out, torch::Tensor(), torch::Tensor()};
    }
    RowGradients g;
    if (rows_cuda_backward(grads[0], scores, total, row_max, rows, /*whole=*/true, g)) {
      return {g.scores, torch::Tensor(), torch::Tensor()};
    }
    g = activation_backward(grads[0], scores, total, row_max, rows);
    return {g.scores + stat_backward(g.total, scores, row_max, rows), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

#ifndef TF_TORCH_HAS_CUDA
// Without core/cuda/ every tensor takes the CPU kernels or the reference.
bool rows_cuda_forward(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, RowNorm,
                       torch::Tensor&) {
  return false;
}
bool rows_cuda_backward(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                        const torch::Tensor&, RowNorm, bool, RowGradients&) {
  return false;
}
#endif

torch::Tensor row_maxima(const torch::Tensor& scores) {
  return at_least_fp32(scores.detach()).amax(-1, /*keepdim=*/true);
}

namespace rows_reference {

torch::Tensor stat(const torch::Tensor& scores, const torch::Tensor& row_max, RowNorm norm) {
  const torch::Tensor a = at_least_fp32(scores);
  switch (norm.norm) {
    case PattentionNorm::kL2NormGelu:
      return a.square().sum(-1, /*keepdim=*/true);
    case PattentionNorm::kGeluL2Norm:
      return torch::gelu(a).square().sum(-1, /*keepdim=*/true);
    case PattentionNorm::kSoftmax:
      break;
  }
  return torch::exp(a - row_max).sum(-1, /*keepdim=*/true);
}

torch::Tensor activation(const torch::Tensor& scores, const torch::Tensor& total,
                         const torch::Tensor& row_max, RowNorm norm) {
  const torch::Tensor a = at_least_fp32(scores);
  torch::Tensor s;
  switch (norm.norm) {
    case PattentionNorm::kL2NormGelu:
      s = torch::gelu(a * (norm.scale / torch::sqrt(total + kNormEps)));
      break;
    case PattentionNorm::kGeluL2Norm:
      s = torch::gelu(a) * (norm.scale / torch::sqrt(total + kNormEps));
      break;
    case PattentionNorm::kSoftmax:
      s = torch::exp(a - row_max) * (norm.scale / total);
      break;
  }
  return s.to(scores.scalar_type());
}

}  // namespace rows_reference

bool reference_rows_chosen() {
  static const bool by_environment = [] {
    const char* value = std::getenv("TF_PATTENTION_ROWS");
    return value != nullptr && std::strcmp(value, "reference") == 0;
  }();
  return by_environment || t_reference;
}

UseReferenceRows::UseReferenceRows() : before_(t_reference) { t_reference = true; }
UseReferenceRows::~UseReferenceRows() { t_reference = before_; }

torch::Tensor row_stat(const torch::Tensor& scores, const torch::Tensor& row_max, RowNorm norm) {
  if (reference_rows_chosen()) return rows_reference::stat(scores, row_max, norm);
  return RowStat::apply(scores, Maxima{row_max}, static_cast<int64_t>(norm.norm), norm.scale);
}

torch::Tensor row_activation(const torch::Tensor& scores, const torch::Tensor& total,
                             const torch::Tensor& row_max, RowNorm norm) {
  if (reference_rows_chosen()) return rows_reference::activation(scores, total, row_max, norm);
  return RowActivation::apply(scores, total, Maxima{row_max}, static_cast<int64_t>(norm.norm),
                              norm.scale);
}

torch::Tensor fused_rows(const torch::Tensor& scores, RowNorm norm) {
  if (reference_rows_chosen()) {
    const torch::Tensor m =
        norm.norm == PattentionNorm::kSoftmax ? row_maxima(scores) : torch::Tensor();
    return rows_reference::activation(scores, rows_reference::stat(scores, m, norm), m, norm);
  }
  return FusedRows::apply(scores, static_cast<int64_t>(norm.norm), norm.scale);
}

}  // namespace tf
