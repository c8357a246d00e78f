#include "core/stages.h"

#include "core/error.h"
#include "core/growth.h"
#include "core/layout.h"

namespace tf {

std::vector<Stage> plan_stages(const Config& config) {
  std::vector<Stage> stages;
  if (config.stages.empty()) {
    const TrainConfig& t = config.train;
    Stage only;
    only.name = "main";
    only.tokens = token_counts(config.model);
    only.steps = t.steps;
    only.schedule = LrSchedule{t.lr, t.min_lr, t.warmup_steps, t.steps};
    only.parallel = config.parallel;
    only.recipe.rewarm_steps = t.warmup_steps;
    stages.push_back(only);
    return stages;
  }
  for (const StageConfig& s : config.stages) {
    Stage stage;
    stage.name = s.name;
    stage.tokens = {s.qkv_tokens, s.proj_tokens, s.ffn_tokens};
    stage.steps = s.steps;
    stage.schedule = LrSchedule{s.lr, s.min_lr, s.warmup_steps, s.steps};
    stage.recipe.policy = s.growth;
    stage.recipe.carry_optimizer = s.optimizer == OptimizerRule::kCarry;
    stage.recipe.noise = s.noise;
    stage.recipe.freeze_old_steps = s.freeze_old_steps;
    stage.recipe.rewarm_steps = s.warmup_steps;
    stage.parallel = s.parallel;
    stages.push_back(stage);
  }
  return stages;
}

namespace {

// Layouts equal but for the layer split.
bool same_layout(const ParallelConfig& a, const ParallelConfig& b) {
  return a.tp == b.tp && a.pp == b.pp && a.dp == b.dp && a.zero1 == b.zero1 &&
         a.pp_schedule == b.pp_schedule;
}

}  // namespace

int64_t accumulation_steps(const Config& config, int64_t dp) {
  const TrainConfig& t = config.train;
  const int64_t per_step = t.micro_batch * dp;
  if (t.global_batch % per_step != 0) {
    throw Error(config.source + ": 'train.global_batch' (" + std::to_string(t.global_batch) +
                ") must be a multiple of micro_batch x data-parallel size (" +
                std::to_string(t.micro_batch) + " x " + std::to_string(dp) + ")");
  }
  return t.global_batch / per_step;
}

std::vector<int64_t> layer_split(const Config& config, const ParallelConfig& parallel) {
  ModelConfig model = config.model;
  for (const Stage& stage : plan_stages(config)) {
    if (!same_layout(stage.parallel, parallel)) continue;
    model = with_token_counts(model, stage.tokens);
    break;
  }
  return split_layers(model, parallel, config.source);
}

bool runs_in_place(const Config& config, const ParallelConfig& running,
                   const std::vector<int64_t>& split, const ParallelConfig& stage) {
  return stage.tp == running.tp && stage.pp == running.pp && stage.zero1 == running.zero1 &&
         (stage.dp == 0 || stage.dp == running.dp) && layer_split(config, stage) == split;
}

std::vector<ChainJob> plan_jobs(const Config& config, int64_t ranks) {
  const std::vector<Stage> stages = plan_stages(config);
  std::vector<ChainJob> jobs;
  std::vector<int64_t> split;
  for (size_t i = 0; i < stages.size(); ++i) {
    const ParallelConfig& p = stages[i].parallel;
    if (!jobs.empty() && runs_in_place(config, jobs.back().parallel, split, p)) {
      jobs.back().last = i;
      continue;
    }
    ChainJob job{i, i, p, 0};
    if (job.parallel.dp == 0 && ranks > 0) {
      job.parallel.dp =
          resolve_layout(p, ranks, config.source + ": stage '" + stages[i].name + "'").dp;
    }
    job.ranks = job.parallel.tp * job.parallel.pp * job.parallel.dp;
    split = layer_split(config, p);
    jobs.push_back(job);
  }
  return jobs;
}

int64_t total_steps(const std::vector<Stage>& stages) {
  int64_t total = 0;
  for (const Stage& s : stages) total += s.steps;
  return total;
}

}  // namespace tf
