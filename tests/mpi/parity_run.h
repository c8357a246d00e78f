// Runs a config for a few optimizer steps through the real Trainer and returns what parity tests
// compare: the logged loss of every step and every parameter with token shards gathered whole.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "core/log.h"
#include "core/model.h"
#include "core/parallel_context.h"
#include "core/trainer/trainer.h"
#include "parallel/communicator.h"

namespace tf::parallel::testing {

struct RunResult {
  std::vector<double> losses;
  std::vector<std::string> names;
  std::vector<torch::Tensor> params;  // full tensors; token matrices concatenated in shard order
};

// A tiny model whose token counts (15, 9, 33) split unevenly over 2 and 4 ranks.
Config parity_config(int64_t tp, bool zero1, const std::string& norm = "l2_norm_gelu");

// Two stages (small, large: growth with `growth`, moments carried) of a 2-layer model whose token
// counts split unevenly over 2 and 4 ranks, before and after growth; checkpoints under
// `checkpoint_dir` when given.
Config chain_config(int64_t tp, const std::string& growth, const std::string& checkpoint_dir = "",
                    bool zero1 = false, int64_t pp = 1);

// Steps of each chain_config stage (its `steps: 3`).
constexpr int64_t kChainStageSteps = 3;
// Trains a chain_config run through its first stage and starts the next (growth); whether the next
// stage started.
bool grow_after_first_stage(Trainer& trainer);

// A logger that prints no info lines (as on a rank other than 0).
const Logger& quiet();

// Collaborators that agree on checkpoint saves through `sync`.
inline TrainerCollaborators saving_through(CheckpointSync& sync) {
  TrainerCollaborators with;
  with.checkpoint_sync = &sync;
  return with;
}
// `steps` optimizer steps, their losses appended to `losses` when given.
void train(Trainer& trainer, int64_t steps, std::vector<double>* losses = nullptr);

// Every parameter of `model` by name, token shards gathered whole in global row order over
// `tp_group` (any group of size 1 for a single-process model); collective over `tp_group`.
void gather_parameters(TokenFormer& model, Communicator& tp_group, RunResult& out);

// gather_parameters of the trainer's model.
RunResult parameters_of(Trainer& trainer, Communicator& tp_group);

// `tp_group` gathers the token shards (any group of size 1 for a single-process context).
RunResult train_steps(const Config& config, ParallelContext& context, Communicator& tp_group,
                      int64_t steps);

}  // namespace tf::parallel::testing
