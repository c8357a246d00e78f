#include "core/launch_plan.h"

#include "core/error.h"
#include "core/layout.h"
#include "core/log.h"

namespace tf {

std::vector<StagePlan> plan_launches(const Config& config, int64_t ranks) {
  const std::vector<Stage> stages = plan_stages(config);
  const std::vector<ChainJob> jobs = plan_jobs(config, ranks);  // refuses a layout that cannot fit
  Config other = config;
  other.train.activation_checkpointing =
      config.train.activation_checkpointing == ActivationCheckpointing::kLayer
          ? ActivationCheckpointing::kNone
          : ActivationCheckpointing::kLayer;
  std::vector<StagePlan> plans;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const ChainJob& job = jobs[j];
    for (size_t s = job.first; s <= job.last; ++s) {
      StagePlan plan;
      plan.stage = stages[s];
      plan.job = j;
      plan.parallel = job.parallel;
      plan.ranks = job.ranks;
      plan.split = layer_split(config, job.parallel);
      const std::string where = config.source + ": stage '" + plan.stage.name + "'";
      const std::string prefix =
          config.stages.empty() ? "model." : "stages[" + std::to_string(s) + "].";
      check_token_shards(with_token_counts(config.model, plan.stage.tokens), job.parallel.tp, where,
                         prefix);
      if (plan.known()) {
        try {
          plan.accumulation = accumulation_steps(config, job.parallel.dp);
        } catch (const Error& e) {
          throw Error(std::string(e.what()) + ", for stage '" + plan.stage.name + "' at " +
                      layout_text(job.parallel) + " (" + count_of(job.ranks, "rank") + ")");
        }
        plan.need = estimate_layout_memory(config, plan.stage.tokens, job.parallel, job.ranks);
        plan.alternative =
            estimate_layout_memory(other, plan.stage.tokens, job.parallel, job.ranks);
      }
      plans.push_back(plan);
    }
  }
  return plans;
}

}  // namespace tf
