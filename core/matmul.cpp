#include "core/matmul.h"

namespace tf {
namespace {

bool cpu_has_bf16_arithmetic() {
#if defined(__x86_64__)
  static const bool native =
      __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
  return native;
#else
  return true;  // leave other architectures to oneDNN
#endif
}

torch::Tensor product_in_fp32(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::matmul(a.to(torch::kFloat32), b.to(torch::kFloat32)).to(a.scalar_type());
}

// bf16 a [..., k] · b [k, n] in fp32, keeping only the bf16 inputs for the backward pass.
struct Bf16InFp32 : torch::autograd::Function<Bf16InFp32> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a,
                               const torch::Tensor& b) {
    ctx->save_for_backward({a, b});
    return product_in_fp32(a, b);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 const torch::autograd::variable_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &a = saved[0], &b = saved[1];
    const torch::Tensor g = grads[0].to(a.scalar_type());
    const torch::Tensor grad_a = product_in_fp32(g, b.t());
    const torch::Tensor grad_b =
        product_in_fp32(a.reshape({-1, a.size(-1)}).t(), g.reshape({-1, g.size(-1)}));
    return {grad_a, grad_b.to(b.scalar_type())};
  }
};

}  // namespace

bool emulated_bf16(const torch::Tensor& t) {
  return t.scalar_type() == torch::kBFloat16 && t.is_cpu() && !cpu_has_bf16_arithmetic();
}

torch::Tensor matmul(const torch::Tensor& a, const torch::Tensor& b) {
  if (emulated_bf16(a) && b.scalar_type() == torch::kBFloat16 && b.dim() == 2) {
    return Bf16InFp32::apply(a, b);
  }
  return torch::matmul(a, b);
}

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v) {
  if (emulated_bf16(q)) {
    const auto fp32 = [](const torch::Tensor& t) { return t.to(torch::kFloat32); };
    return causal_attention(fp32(q), fp32(k), fp32(v)).to(q.scalar_type());
  }
  return at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true);
}

}  // namespace tf
