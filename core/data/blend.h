// A weighted blend of several sample sources (data.train: [{path, weight}, ...]). Sample i maps to
// (source, index within that source) by a pure function of (seed, i): every block of 65,536
// samples holds each source exactly its quota (weights rounded to 1/65,536, largest remainder),
// in a seeded shuffled order, and a source's samples are numbered consecutively block after block,
// so each source is read in its own order without gaps or repeats. Immutable: thread-safe.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/data/batch_source.h"

namespace tf {

class BlendedSource : public BatchSource {
 public:
  static constexpr int64_t kBlock = int64_t{1} << 16;

  // Throws tf::Error naming `key`[k] when weight k is under 1/65,536 of the total (its quota
  // would be zero).
  BlendedSource(std::vector<std::shared_ptr<BatchSource>> sources,
                const std::vector<double>& weights, uint64_t seed, const std::string& key);

  torch::Tensor samples(int64_t first, int64_t count) const override;
  int64_t epoch_size() const override;
  // Which source sample `index` comes from, and its index there.
  std::pair<size_t, int64_t> locate(int64_t index) const;

 private:
  std::vector<std::shared_ptr<BatchSource>> sources_;
  std::vector<int64_t> quota_;       // samples per block, summing to kBlock
  std::vector<int64_t> first_slot_;  // prefix sums of quota_
  uint64_t seed_;
};

}  // namespace tf
