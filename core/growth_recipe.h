// What a growth does besides appending tokens (docs/progressive-scaling.md, Growth recipes): the
// policy for the new rows, the optimizer rule, noise on the old rows, how long the old rows stay
// fixed and, for a growth in place, the learning-rate re-warm. Also the two states a growth leaves
// behind for later steps (a freeze, a re-warm), which checkpoints carry. Plain data: no tensors.
#pragma once

#include <cstdint>
#include <string>

#include "core/config_choices.h"

namespace tf {

struct TokenCounts {
  int64_t qkv = 0, proj = 0, ffn = 0;
  bool operator==(const TokenCounts& o) const {
    return qkv == o.qkv && proj == o.proj && ffn == o.ffn;
  }
  // No count above `o`'s (what growth to `o` needs).
  bool within(const TokenCounts& o) const { return qkv <= o.qkv && proj <= o.proj && ffn <= o.ffn; }
};

// "qkv 16, proj 16, ffn 64", for messages.
std::string to_text(const TokenCounts& counts);

struct GrowthRecipe {
  GrowthPolicy policy = GrowthPolicy::kPreserve;
  bool carry_optimizer = false;
  // Every old row of K and V gets Gaussian noise of standard deviation noise x the row's RMS.
  double noise = 0;
  // Optimizer steps after the growth during which the old rows get no update and no moment change.
  int64_t freeze_old_steps = 0;
  // A growth in place (not a stage start, which restarts its own schedule): the learning rate
  // ramps linearly from 0 back to the schedule's over this many steps.
  int64_t rewarm_steps = 0;

  // The grown model must compute the same function as before (checked at every growth).
  bool preserves_function() const { return policy == GrowthPolicy::kPreserve && noise == 0; }
  // "growth preserve, optimizer reset, noise 0.01, old tokens frozen 20 steps", for logs; the
  // re-warm too for a growth in place.
  std::string describe(bool in_place) const;
};

// Rows of the tokens below `tokens` (global indices, per Pattention kind) are fixed in optimizer
// steps up to `until` (global step numbers, 1-based); nothing is frozen when until is 0.
struct TokenFreeze {
  TokenCounts tokens;
  int64_t until = 0;
  bool active_at(int64_t step) const { return until > 0 && step <= until; }
};

// The learning rate of steps from + 1 ... from + steps is the schedule's times (step - from) /
// steps.
struct Rewarm {
  int64_t from = 0;
  int64_t steps = 0;
  double factor(int64_t step) const {
    if (steps <= 0 || step <= from || step - from >= steps) return 1.0;
    return static_cast<double>(step - from) / static_cast<double>(steps);
  }
};

}  // namespace tf
