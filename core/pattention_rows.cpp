#include "core/pattention_rows.h"

#include <cmath>

#include "core/cuda/pattention_rows_cuda.h"
#include "core/precision.h"

namespace tf {
namespace {

// c = τ / sqrt(total + ε), per row.
torch::Tensor row_scale(const torch::Tensor& total, double tau) {
  return tau / torch::sqrt(total + kNormEps);
}

struct RowSquareSum : torch::autograd::Function<RowSquareSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& scores) {
    ctx->save_for_backward({scores});
    return at_least_fp32(scores).square().sum(-1, /*keepdim=*/true);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 const torch::autograd::variable_list& grads) {
    const torch::Tensor scores = ctx->get_saved_variables()[0];
    return {(at_least_fp32(scores) * (2 * grads[0])).to(scores.scalar_type())};
  }
};

struct L2NormGeluRows : torch::autograd::Function<L2NormGeluRows> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& scores,
                               const torch::Tensor& total, double tau) {
    ctx->save_for_backward({scores, total});
    ctx->saved_data["tau"] = tau;
    return l2_norm_gelu_rows_forward(scores, total, tau);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 const torch::autograd::variable_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const RowGradients g =
        l2_norm_gelu_rows_backward(grads[0], saved[0], saved[1], ctx->saved_data["tau"].toDouble());
    return {g.scores, g.total, torch::Tensor()};
  }
};

}  // namespace

#ifndef TF_TORCH_HAS_CUDA
// Without core/cuda/ every tensor takes the LibTorch path.
bool l2_norm_gelu_rows_cuda_forward(const torch::Tensor&, const torch::Tensor&, double,
                                    torch::Tensor&) {
  return false;
}
bool l2_norm_gelu_rows_cuda_backward(const torch::Tensor&, const torch::Tensor&,
                                     const torch::Tensor&, double, RowGradients&) {
  return false;
}
#endif

torch::Tensor row_square_sum(const torch::Tensor& scores) { return RowSquareSum::apply(scores); }

torch::Tensor l2_norm_gelu_rows(const torch::Tensor& scores, const torch::Tensor& total,
                                double tau) {
  return L2NormGeluRows::apply(scores, total, tau);
}

torch::Tensor l2_norm_gelu_rows_forward(const torch::Tensor& scores, const torch::Tensor& total,
                                        double tau) {
  torch::NoGradGuard no_grad;
  torch::Tensor s;
  if (l2_norm_gelu_rows_cuda_forward(scores, total, tau, s)) return s;
  return torch::gelu(at_least_fp32(scores) * row_scale(total, tau)).to(scores.scalar_type());
}

RowGradients l2_norm_gelu_rows_backward(const torch::Tensor& grad_s, const torch::Tensor& scores,
                                        const torch::Tensor& total, double tau) {
  torch::NoGradGuard no_grad;
  RowGradients out;
  if (l2_norm_gelu_rows_cuda_backward(grad_s, scores, total, tau, out)) return out;
  // Few [rows x tokens] temporaries at a time: y, then g (y's storage freed), then ∂L/∂A.
  const torch::Tensor a = at_least_fp32(scores);
  const torch::Tensor c = row_scale(total, tau);
  torch::Tensor g;
  {
    const torch::Tensor y = a * c;
    g = at::gelu_backward(at_least_fp32(grad_s), y);  // ∂L/∂S ⊙ gelu′(y), exact gelu
  }
  out.scores = (g * c).to(scores.scalar_type());
  out.total = g.mul_(a).sum(-1, /*keepdim=*/true) * c * (-0.5) / (total + kNormEps);
  return out;
}

}  // namespace tf
