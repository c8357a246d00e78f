// The layout of a job: tp, pp and dp resolved from parallel.* and the world size. The one home
// of "does this world size fit this layout" and of the data-parallel size it gives (the way
// torchtitan's ParallelDims derives dp once); the launcher, the mesh, the chain planner and the
// memory estimate ask it.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"

namespace tf {

struct JobLayout {
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t dp = 1;
  int64_t world_size() const { return tp * pp * dp; }
};

// The layout `parallel` takes on `world_size` ranks: dp as fixed, or world / (tp x pp). Throws
// tf::Error "<what> runs at <layout>, which does not fit the N ranks of this job: launch it with
// <ranks_text>" when the world is not dp x tp x pp (dp fixed) or not a multiple of tp x pp.
JobLayout resolve_layout(const ParallelConfig& parallel, int64_t world_size, const std::string& what);

// The data-parallel size `parallel` would have on `world_size` ranks, at least 1, without the
// fit check: for plans of layouts this process does not run (core/memory_estimate.h).
int64_t planned_dp(const ParallelConfig& parallel, int64_t world_size);

// Throws tf::Error "<where>: '<prefix>qkv_tokens' (2) must be at least parallel.tp (4) ..." when
// a token count of `model` is below `tp`: a token-parallel rank would hold no shard.
// `prefix` is the key's section ("model." or "stages[2].").
void check_token_shards(const ModelConfig& model, int64_t tp, const std::string& where,
                        const std::string& prefix);

// The world sizes a layout runs on: "8 ranks" with dp fixed, "a multiple of 4 ranks" otherwise.
std::string ranks_text(const ParallelConfig& parallel);

}  // namespace tf
