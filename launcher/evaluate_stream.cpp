#include "launcher/evaluate_stream.h"

#include <cmath>
#include <memory>

#include "core/device.h"
#include "core/error.h"

namespace tf {
namespace {

// WindowSampler needs shared ownership; the caller keeps the stream alive for the whole call.
std::shared_ptr<const TokenStream> borrow(const TokenStream& stream) {
  return std::shared_ptr<const TokenStream>(&stream, [](const TokenStream*) {});
}

}  // namespace

StreamLoss evaluate_stream(TokenFormer& model, const TokenStream& stream, int64_t batch,
                           const TokenParallelOps& ops, const EvalProgress& progress) {
  const int64_t seq = model->config().seq_len;
  if (stream.size() < seq + 1) {
    throw Error("evaluation data has " + std::to_string(stream.size()) +
                " tokens, fewer than one window of seq_len + 1 = " + std::to_string(seq + 1));
  }
  const WindowSampler windows(borrow(stream), 0, stream.size(), seq, 0, /*shuffle=*/false);
  torch::NoGradGuard no_grad;
  model->eval();
  StreamLoss result;
  result.windows = windows.epoch_size();
  double total = 0;
  for (int64_t first = 0; first < result.windows; first += batch) {
    const int64_t count = std::min(batch, result.windows - first);
    const auto batch = to_device(windows.samples(first, count), model->embedding.device());
    total += model->loss(batch, ops).item<double>() * count;
    if (progress) progress(first + count, result.windows);
  }
  result.loss = total / result.windows;
  result.perplexity = std::exp(result.loss);
  result.tokens = result.windows * seq;
  return result;
}

}  // namespace tf
