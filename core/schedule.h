// Learning-rate schedule: linear warm-up from 0 to `peak` over `warmup` steps, then cosine decay to
// `minimum` at step `total` (held there after it).
#pragma once

#include <cstdint>

namespace tf {

struct LrSchedule {
  double peak = 6e-4;
  double minimum = 6e-5;
  int64_t warmup = 0;
  int64_t total = 1;

  // Learning rate of optimizer step `step` (0-based).
  double at(int64_t step) const;
};

}  // namespace tf
