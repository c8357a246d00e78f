#include "core/lm_loss.h"

#include <algorithm>

#include "core/matmul.h"
#include "core/precision.h"

namespace tf {
namespace {

int64_t chunk_rows(int64_t vocab, int64_t chunk_bytes) {
  return std::max<int64_t>(1, chunk_bytes / (4 * std::max<int64_t>(vocab, 1)));
}

struct ChunkedCrossEntropy : torch::autograd::Function<ChunkedCrossEntropy> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& h,
                               const torch::Tensor& weight, const torch::Tensor& targets,
                               int64_t chunk_bytes) {
    const int64_t rows = h.size(0), step = chunk_rows(weight.size(0), chunk_bytes);
    const auto fp = at_least_fp32(h).scalar_type();
    const torch::Tensor w = weight.to(h.scalar_type());  // the compute-dtype copy, once
    torch::Tensor lse = torch::empty({rows}, h.options().dtype(fp));
    torch::Tensor total = torch::zeros({}, h.options().dtype(fp));
    for (int64_t first = 0; first < rows; first += step) {
      const int64_t count = std::min(step, rows - first);
      const torch::Tensor logits = at_least_fp32(tf::matmul(h.narrow(0, first, count), w.t()));
      const torch::Tensor chunk_lse = torch::logsumexp(logits, -1);
      lse.narrow(0, first, count).copy_(chunk_lse);
      const torch::Tensor picked = logits.gather(1, targets.narrow(0, first, count).unsqueeze(1));
      total += (chunk_lse - picked.squeeze(1)).sum();
    }
    ctx->save_for_backward({h, weight, targets, lse});
    ctx->saved_data["chunk_bytes"] = chunk_bytes;
    return total / static_cast<double>(rows);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 const torch::autograd::variable_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &h = saved[0], &weight = saved[1], &targets = saved[2], &lse = saved[3];
    const int64_t rows = h.size(0);
    const int64_t step = chunk_rows(weight.size(0), ctx->saved_data["chunk_bytes"].toInt());
    // d loss / d logits = (softmax - onehot(target)) * grad / rows, chunk by chunk.
    const torch::Tensor scale = at_least_fp32(grads[0]) / static_cast<double>(rows);
    const torch::Tensor w = weight.to(h.scalar_type());
    torch::Tensor grad_h = torch::empty_like(h);
    torch::Tensor grad_w = torch::zeros(weight.sizes(), weight.options().dtype(lse.scalar_type()));
    for (int64_t first = 0; first < rows; first += step) {
      const int64_t count = std::min(step, rows - first);
      const torch::Tensor h_chunk = h.narrow(0, first, count);
      torch::Tensor d = at_least_fp32(tf::matmul(h_chunk, w.t()));
      d.sub_(lse.narrow(0, first, count).unsqueeze(1)).exp_();
      d.scatter_add_(1, targets.narrow(0, first, count).unsqueeze(1),
                     torch::full({count, 1}, -1.0, d.options()));
      d.mul_(scale);
      const torch::Tensor d_compute = d.to(h.scalar_type());
      grad_h.narrow(0, first, count).copy_(tf::matmul(d_compute, w));
      grad_w.add_(tf::matmul(d_compute.t(), h_chunk).to(grad_w.scalar_type()));
    }
    return {grad_h, grad_w.to(weight.scalar_type()), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor chunked_cross_entropy(const torch::Tensor& h, const torch::Tensor& weight,
                                    const torch::Tensor& targets, int64_t chunk_bytes) {
  return ChunkedCrossEntropy::apply(h, weight, targets, chunk_bytes);
}

}  // namespace tf
