#include "core/pattention.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/matmul.h"
#include "core/pattention_rows.h"

namespace tf {
namespace {

TokenRange even_share(int64_t total, int64_t parts, int64_t rank) {
  TF_CHECK(parts >= 1 && rank >= 0 && rank < parts, "rank ", rank, " of ", parts);
  const int64_t base = total / parts;
  const int64_t extra = total % parts;
  return {rank * base + std::min(rank, extra), base + (rank < extra ? 1 : 0)};
}

}  // namespace

int64_t TokenShard::count() const {
  int64_t n = 0;
  for (const TokenRange& r : ranges) n += r.count;
  return n;
}

int64_t TokenShard::rows_below(int64_t global) const {
  int64_t rows = 0;
  bool ended = false;  // a range lay partly or wholly above `global`
  for (const TokenRange& r : ranges) {
    const int64_t below = std::clamp<int64_t>(global - r.offset, 0, r.count);
    TF_CHECK(below == 0 || !ended, "the rows below a global index do not lead the shard");
    ended = ended || below < r.count;
    rows += below;
  }
  return rows;
}

void TokenShard::grow(int64_t added, int64_t parts, int64_t rank) {
  TokenRange share = even_share(added, parts, rank);
  share.offset += total;
  total += added;
  if (share.count == 0) return;
  if (!ranges.empty() && ranges.back().offset + ranges.back().count == share.offset) {
    ranges.back().count += share.count;  // one process: [old; new] stays one range
  } else {
    ranges.push_back(share);
  }
}

TokenShard token_shard(int64_t total, int64_t parts, int64_t rank) {
  TokenShard shard;
  shard.grow(total, parts, rank);
  return shard;
}

torch::Tensor take_rows(const torch::Tensor& full, const TokenShard& shard) {
  TF_CHECK_EQ(full.size(0), shard.total);
  std::vector<torch::Tensor> parts;
  for (const TokenRange& r : shard.ranges) parts.push_back(full.narrow(0, r.offset, r.count));
  if (parts.empty()) return full.narrow(0, 0, 0);
  return parts.size() == 1 ? parts[0] : torch::cat(parts);
}

PattentionImpl::PattentionImpl(int64_t d_in, int64_t d_out, TokenShard shard, PattentionNorm norm)
    : shard_(shard), norm_(norm) {
  key_tokens = register_parameter("key_tokens", torch::zeros({shard.count(), d_in}));
  value_tokens = register_parameter("value_tokens", torch::zeros({shard.count(), d_out}));
}

double PattentionImpl::scale() const {
  if (tau_ > 0) return tau_;
  const double n = static_cast<double>(shard_.total);
  return norm_ == PattentionNorm::kSoftmax ? n : std::sqrt(n);
}

torch::Tensor PattentionImpl::scores(const torch::Tensor& x) const {
  return tf::matmul(x, key_tokens.to(x.scalar_type()).t());
}

torch::Tensor PattentionImpl::local_stat(const torch::Tensor& a,
                                         const torch::Tensor& row_max) const {
  return row_stat(a, row_max, rows());
}

torch::Tensor PattentionImpl::activate(const torch::Tensor& a, const torch::Tensor& total_stat,
                                       const torch::Tensor& row_max) const {
  return row_activation(a, total_stat, row_max, rows());
}

torch::Tensor PattentionImpl::mix(const torch::Tensor& s) const {
  return tf::matmul(s, value_tokens.to(s.scalar_type()));
}

torch::Tensor PattentionImpl::row_max(const torch::Tensor& scores) { return row_maxima(scores); }

torch::Tensor PattentionImpl::forward(const torch::Tensor& x, const TokenParallelOps& ops) {
  const torch::Tensor a = scores(ops.enter(x));
  if (ops.size() == 1) return mix(fused_rows(a, rows()));  // the collectives are identities
  torch::Tensor maxima;
  if (norm_ == PattentionNorm::kSoftmax) maxima = ops.max_stats(row_max(a));
  const torch::Tensor stat = ops.sum_stats(local_stat(a, maxima));
  return ops.sum_outputs(mix(activate(a, stat, maxima)));
}

std::pair<torch::Tensor, torch::Tensor> PattentionImpl::grown_rows(const torch::Tensor& new_keys,
                                                                   const torch::Tensor& new_values,
                                                                   int64_t parts,
                                                                   int64_t rank) const {
  TF_CHECK_EQ(new_keys.size(0), new_values.size(0));
  const TokenShard share = token_shard(new_keys.size(0), parts, rank);
  torch::NoGradGuard no_grad;
  return {
      torch::cat({key_tokens.detach(), take_rows(new_keys, share).to(key_tokens.options())}),
      torch::cat({value_tokens.detach(), take_rows(new_values, share).to(value_tokens.options())})};
}

void PattentionImpl::adopt_rows(const std::pair<torch::Tensor, torch::Tensor>& rows, int64_t added,
                                int64_t parts, int64_t rank) {
  shard_.grow(added, parts, rank);
  TF_CHECK_EQ(rows.first.size(0), shard_.count());
  TF_CHECK_EQ(rows.second.size(0), shard_.count());
  torch::NoGradGuard no_grad;
  key_tokens.set_data(rows.first);
  value_tokens.set_data(rows.second);
  key_tokens.mutable_grad() = torch::Tensor();  // the old shape's gradient cannot accumulate
  value_tokens.mutable_grad() = torch::Tensor();
}

}  // namespace tf
