// The timing loop of the parallel benchmarks: two warm-up steps (allocations, first touch), then
// `steps` timed ones.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "core/trainer/trainer.h"
#include "parallel/communicator.h"

namespace tf::parallel::bench {

struct TimedSteps {
  double median_seconds = 0;  // of the slowest rank's step times
  double bytes_per_step = 0;  // what `bytes` (a CountingCommunicator's counter) grew by per step
};

// `timing` is a world communicator that does not count (it takes each step's slowest rank).
inline TimedSteps time_steps(Trainer& trainer, Communicator& timing, const double& bytes,
                             int64_t steps) {
  for (int i = 0; i < 2; ++i) trainer.train_step();
  std::vector<double> times;
  const double bytes_before = bytes;
  for (int64_t i = 0; i < steps; ++i) {
    torch::Tensor seconds = torch::tensor({trainer.train_step().seconds}, torch::kFloat64);
    timing.all_reduce(seconds, {ReduceOp::kMax});
    times.push_back(seconds.item<double>());
  }
  std::sort(times.begin(), times.end());
  return {times[times.size() / 2], (bytes - bytes_before) / static_cast<double>(steps)};
}

}  // namespace tf::parallel::bench
