// The collectives a Pattention needs when its parameter tokens are split across a token-parallel
// group (docs/model.md, Parameter-token parallelism). core/ only sees this interface; the
// single-process implementation is the identity, and parallel/ supplies one built on a
// communicator. Each method is an autograd operation whose backward is the one docs/model.md,
// Backward collectives, gives.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace tf {

class TokenParallelOps {
 public:
  virtual ~TokenParallelOps() = default;
  // X enters the parallel region: identity forward, all-reduce(sum) backward.
  virtual torch::Tensor enter(const torch::Tensor& x) const { return x; }
  // Per-row statistics summed over the group: all-reduce(sum) forward and backward.
  virtual torch::Tensor sum_stats(const torch::Tensor& s) const { return s; }
  // Per-row maxima over the group, for numerically stable softmax; no gradient flows.
  virtual torch::Tensor max_stats(const torch::Tensor& s) const { return s; }
  // Partial outputs summed over the group: all-reduce(sum) forward, identity backward.
  virtual torch::Tensor sum_outputs(const torch::Tensor& o) const { return o; }
  virtual int64_t rank() const { return 0; }
  virtual int64_t size() const { return 1; }
};

// Rows [offset, offset + count) of a token matrix, in the global (single-process) row order.
struct TokenRange {
  int64_t offset = 0;
  int64_t count = 0;
};

// The rows of a `total`-row token matrix that one rank holds, as global ranges in local row order.
// A fresh layer has one range per rank; growth appends each rank's share of the new rows as
// another range, so the global order stays that of the single-process model ([old; new]).
struct TokenShard {
  std::vector<TokenRange> ranges;
  int64_t total = 0;

  int64_t count() const;
  // Local rows whose global index is below `global`. Ranges are in increasing global order, so
  // those rows lead the shard.
  int64_t rows_below(int64_t global) const;
  // Appends `added` rows to the layer: this rank takes its even share of them.
  void grow(int64_t added, int64_t parts, int64_t rank);
};

// Even split of `total` rows over `parts` ranks; the first total % parts ranks get one more.
TokenShard token_shard(int64_t total, int64_t parts, int64_t rank);

// The rows of `full` ([total, ...], global order) that `shard` holds, in local order.
torch::Tensor take_rows(const torch::Tensor& full, const TokenShard& shard);

}  // namespace tf
