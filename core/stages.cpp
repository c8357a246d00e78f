#include "core/stages.h"

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
    stages.push_back(only);
    return stages;
  }
  for (const StageConfig& s : config.stages) {
    Stage stage;
    stage.name = s.name;
    stage.tokens = {s.qkv_tokens, s.proj_tokens, s.ffn_tokens};
    stage.steps = s.steps;
    stage.schedule = LrSchedule{s.lr, s.min_lr, s.warmup_steps, s.steps};
    stage.growth = parse_growth(s.growth);
    stage.carry_optimizer = s.optimizer == "carry";
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

std::vector<int64_t> layer_split(const Config& config, const ParallelConfig& parallel) {
  ModelConfig model = config.model;
  for (const Stage& stage : plan_stages(config)) {
    if (!same_layout(stage.parallel, parallel)) continue;
    model = with_token_counts(model, stage.tokens);
    break;
  }
  return split_layers(model, parallel, config.source);
}

int64_t total_steps(const std::vector<Stage>& stages) {
  int64_t total = 0;
  for (const Stage& s : stages) total += s.steps;
  return total;
}

}  // namespace tf
