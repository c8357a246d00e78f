// The rows of parameter tokens an optimizer step must leave exactly as they are: the old tokens of
// a growth with `freeze_old_steps` (core/growth_recipe.h). Every gradient-sync strategy honours
// them the same way: their gradients are zeroed before the global norm (a frozen row neither counts
// in it nor is clipped by it), and neither the rows nor their AdamW moments change.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <vector>

#include "core/growth_recipe.h"
#include "core/model.h"

namespace tf {

// The first `rows` local rows of `param` (a Pattention's K or V shard).
struct FrozenRows {
  torch::Tensor param;
  int64_t rows = 0;
};

// The local rows of `model`'s token shards whose global index is below `old`'s count for that
// Pattention; parameters with none are left out.
std::vector<FrozenRows> frozen_rows(const TokenFormerImpl& model, const TokenCounts& old);

// Zeroes the gradients of the frozen rows (before the norm and clipping).
void zero_frozen_gradients(const std::vector<FrozenRows>& frozen);

// Holds the frozen rows and their AdamW moments through one torch::optim::AdamW step: construct
// before the step, restore() after it. Rows without moments before the step get zero moments.
class FrozenRowsKeeper {
 public:
  FrozenRowsKeeper(torch::optim::AdamW& optimizer, const std::vector<FrozenRows>& frozen);
  void restore();

 private:
  struct Kept {
    FrozenRows where;
    torch::Tensor values, exp_avg, exp_avg_sq;  // exp_avg undefined: there were no moments
  };
  torch::optim::AdamW& optimizer_;
  std::vector<Kept> kept_;
};

}  // namespace tf
