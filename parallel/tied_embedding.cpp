#include "parallel/tied_embedding.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/log.h"

namespace tf::parallel {

void TiedEmbedding::attach(TokenFormer& model) {
  const bool tied = pp_.size() > 1 && model->pipeline_layers().holds_embedding();
  embedding_ = tied ? model->embedding : torch::Tensor();
}

int64_t TiedEmbedding::peer() const { return pp_.rank() == 0 ? pp_.size() - 1 : 0; }

void TiedEmbedding::sum_gradients() {
  if (!embedding_.defined()) return;
  torch::Tensor mine = embedding_.grad();
  if (!mine.defined()) mine = torch::zeros_like(embedding_);
  torch::Tensor theirs = torch::empty_like(mine);
  pp_.send_recv(mine, theirs, {static_cast<int>(peer()), kTiedTag});
  // Both ends add the same two tensors: the copies stay bit-identical.
  if (embedding_.grad().defined()) {
    embedding_.mutable_grad().add_(theirs);
  } else {
    embedding_.mutable_grad() = theirs;
  }
}

void TiedEmbedding::check() {
  double gap = 0;
  if (embedding_.defined()) {
    const torch::Tensor mine = embedding_.detach().contiguous();
    torch::Tensor theirs = torch::empty_like(mine);
    pp_.send_recv(mine, theirs, {static_cast<int>(peer()), kTiedTag});
    if (!torch::equal(mine, theirs)) {
      gap = std::max((mine - theirs).abs().max().item<double>(), 1e-300);
    }
  }
  const torch::Tensor gaps = world_.all_gather(torch::tensor({gap}, torch::kFloat64));
  for (int64_t r = 0; r < gaps.numel(); ++r) {
    const double g = gaps[r].item<double>();
    if (g == 0) continue;
    throw Error(
        "the tied embedding's copies on the first and the last pipeline rank differ "
        "(rank " +
        std::to_string(r) + ": largest difference " + format("%.3e", g) +
        "); the checkpoint is not written");
  }
}

}  // namespace tf::parallel
