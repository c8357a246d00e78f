#include "core/growth_recipe.h"

#include <cstdio>

#include "core/log.h"

namespace tf {

std::string to_text(const TokenCounts& c) {
  return "qkv " + std::to_string(c.qkv) + ", proj " + std::to_string(c.proj) + ", ffn " +
         std::to_string(c.ffn);
}

std::string GrowthRecipe::describe(bool in_place) const {
  std::string text = std::string("growth ") + choice_name(policy) + ", optimizer " +
                     choice_name(carry_optimizer ? OptimizerRule::kCarry : OptimizerRule::kReset);
  if (noise > 0) {
    char number[32];
    std::snprintf(number, sizeof number, "%g", noise);
    text += std::string(", noise ") + number;
  }
  if (freeze_old_steps > 0) {
    text += ", old tokens frozen " + count_of(freeze_old_steps, "step");
  }
  if (in_place && rewarm_steps > 0) text += ", re-warm " + count_of(rewarm_steps, "step");
  return text;
}

}  // namespace tf
