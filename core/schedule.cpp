#include "core/schedule.h"

#include <algorithm>
#include <cmath>

namespace tf {

double LrSchedule::at(int64_t step) const {
  if (step < warmup) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const int64_t decay_steps = std::max<int64_t>(1, total - warmup);
  const double progress = std::min(1.0, static_cast<double>(step - warmup) / decay_steps);
  return minimum + 0.5 * (peak - minimum) * (1.0 + std::cos(M_PI * progress));
}

}  // namespace tf
