// Perplexity of a model over a whole token stream, as users measure a checkpoint: windows of
// seq_len + 1 tokens with stride seq_len (GPT-NeoX packing), in order, the last partial window
// dropped, every window weighted equally (each has seq_len targets).
#pragma once

#include <cstdint>
#include <functional>

#include "core/data/batch_source.h"
#include "core/model.h"

namespace tf {

struct StreamLoss {
  double loss = 0;        // mean next-token cross entropy (nats)
  double perplexity = 0;  // exp(loss)
  int64_t windows = 0;
  int64_t tokens = 0;     // predicted tokens: windows x seq_len
};

// Called after every batch with the windows done and the windows in all.
using EvalProgress = std::function<void(int64_t done, int64_t total)>;

// Throws tf::Error when the stream holds fewer than seq_len + 1 tokens.
StreamLoss evaluate_stream(TokenFormer& model, const TokenStream& stream, int64_t batch,
                           const TokenParallelOps& ops, const EvalProgress& progress = {});

}  // namespace tf
