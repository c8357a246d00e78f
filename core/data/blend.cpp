#include "core/data/blend.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/data/permutation.h"
#include "core/error.h"
#include "core/log.h"

namespace tf {

BlendedSource::BlendedSource(std::vector<std::shared_ptr<BatchSource>> sources,
                             const std::vector<double>& weights, uint64_t seed,
                             const std::string& key)
    : sources_(std::move(sources)), seed_(seed) {
  TF_CHECK_EQ(sources_.size(), weights.size());
  TF_CHECK(!sources_.empty(), "a blend needs a source");
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (!std::isfinite(total)) {
    throw Error(key + ": the weights add up to more than a double holds; only their ratios "
                "matter, so scale them down");
  }
  std::vector<double> remainder;
  int64_t assigned = 0;
  for (size_t k = 0; k < weights.size(); ++k) {
    const double exact = weights[k] / total * static_cast<double>(kBlock);
    quota_.push_back(static_cast<int64_t>(std::floor(exact)));
    if (quota_.back() == 0) {
      throw Error(key + "[" + std::to_string(k) + "]: weight " + format("%g", weights[k]) +
                  " is below 1/65536 of the total weight " + format("%g", total));
    }
    remainder.push_back(exact - std::floor(exact));
    assigned += quota_.back();
  }
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t i = 0; assigned < kBlock; ++i, ++assigned) ++quota_[order[i % order.size()]];
  first_slot_.assign(1, 0);
  for (int64_t q : quota_) first_slot_.push_back(first_slot_.back() + q);
  TF_CHECK_EQ(first_slot_.back(), kBlock);
}

std::pair<size_t, int64_t> BlendedSource::locate(int64_t index) const {
  const int64_t block = index / kBlock;
  const int64_t slot =
      permute(index % kBlock, kBlock, mix64(seed_ ^ mix64(static_cast<uint64_t>(block))));
  const size_t source =
      std::upper_bound(first_slot_.begin(), first_slot_.end(), slot) - first_slot_.begin() - 1;
  return {source, block * quota_[source] + slot - first_slot_[source]};
}

torch::Tensor BlendedSource::samples(int64_t first, int64_t count) const {
  std::vector<torch::Tensor> rows;
  rows.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    const auto [source, within] = locate(first + i);
    rows.push_back(sources_[source]->samples(within, 1));
  }
  return torch::cat(rows);
}

int64_t BlendedSource::epoch_size() const {
  int64_t total = 0;
  for (const auto& source : sources_) total += source->epoch_size();
  return total;
}

}  // namespace tf
