#include "core/layout.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/log.h"

namespace tf {
namespace {

int64_t unit(const ParallelConfig& p) { return p.tp * p.pp * std::max<int64_t>(p.dp, 1); }

}  // namespace

JobLayout resolve_layout(const ParallelConfig& p, int64_t world_size, const std::string& what) {
  const bool fits = p.tp >= 1 && p.pp >= 1 && p.dp >= 0 && world_size >= 1 &&
                    (p.dp > 0 ? world_size == unit(p) : world_size % unit(p) == 0);
  if (!fits) {
    throw Error(what + " runs at " + layout_text(p) + ", which does not fit the " +
                count_of(world_size, "rank") + " of this job: launch it with " + ranks_text(p));
  }
  return {p.tp, p.pp, world_size / (p.tp * p.pp)};
}

int64_t planned_dp(const ParallelConfig& p, int64_t world_size) {
  return p.dp > 0 ? p.dp : std::max<int64_t>(world_size / std::max<int64_t>(p.tp * p.pp, 1), 1);
}

void check_token_shards(const ModelConfig& m, int64_t tp, const std::string& where,
                        const std::string& prefix) {
  const std::pair<const char*, int64_t> tokens[] = {
      {"qkv_tokens", m.qkv_tokens}, {"proj_tokens", m.proj_tokens}, {"ffn_tokens", m.ffn_tokens}};
  for (const auto& [key, count] : tokens) {
    if (count < tp) {
      throw Error(where + ": '" + prefix + key + "' (" + std::to_string(count) +
                  ") must be at least parallel.tp (" + std::to_string(tp) +
                  ") so that every token-parallel rank holds a shard");
    }
  }
}

std::string ranks_text(const ParallelConfig& p) {
  return (p.dp > 0 ? "" : "a multiple of ") + std::to_string(unit(p)) + " ranks";
}

}  // namespace tf
