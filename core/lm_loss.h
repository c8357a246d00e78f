// The language-model head and its loss in one autograd function, in row chunks: the mean
// next-token cross entropy of logits = h Wᵀ, without ever holding the [rows x vocab] logits (or
// their fp32 copy, log-softmax and gradient) beyond one chunk. The forward keeps h, W, the
// targets and one log-sum-exp per row; the backward recomputes each chunk's logits. The logits'
// softmax, log-sum-exp and loss are fp32 whatever the compute dtype of h and W.
#pragma once

#include <torch/torch.h>

namespace tf {

// Rows per chunk so that one chunk's fp32 logits take about this many bytes.
constexpr int64_t kLossChunkBytes = 256 << 20;

// h [rows, d] in the compute dtype, weight [vocab, d] (the fp32 parameter; its matmuls run in
// h's dtype, its gradient accumulates in fp32), targets [rows] int64 in [0, vocab): the mean over
// rows of logsumexp(logits) - logits[target], an fp32 (fp64 for fp64 inputs) scalar,
// differentiable in h and weight.
torch::Tensor chunked_cross_entropy(const torch::Tensor& h, const torch::Tensor& weight,
                                    const torch::Tensor& targets,
                                    int64_t chunk_bytes = kLossChunkBytes);

}  // namespace tf
