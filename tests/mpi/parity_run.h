// Runs a config for a few optimizer steps through the real Trainer and returns what parity tests
// compare: the logged loss of every step and every parameter with token shards gathered whole.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "core/model.h"
#include "core/parallel_context.h"
#include "parallel/communicator.h"

namespace tf::parallel::testing {

struct RunResult {
  std::vector<double> losses;
  std::vector<std::string> names;
  std::vector<torch::Tensor> params;  // full tensors; token matrices concatenated in shard order
};

// A tiny model whose token counts (15, 9, 33) split unevenly over 2 and 4 ranks.
Config parity_config(int64_t tp, bool zero1, const std::string& norm = "l2_norm_gelu");

// Every parameter of `model` by name, token shards gathered whole in global row order over
// `tp_group` (any group of size 1 for a single-process model); collective over `tp_group`.
void gather_parameters(TokenFormer& model, Communicator& tp_group, RunResult& out);

// `tp_group` gathers the token shards (any group of size 1 for a single-process context).
RunResult train_steps(const Config& config, ParallelContext& context, Communicator& tp_group,
                      int64_t steps);

}  // namespace tf::parallel::testing
