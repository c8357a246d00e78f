#include "launcher/dry_run.h"

#include <optional>
#include <string>
#include <vector>

#include "core/banner.h"
#include "core/device.h"
#include "core/error.h"
#include "core/launch_plan.h"
#include "core/memory_estimate.h"
#include "core/pipeline.h"
#include "core/sizes.h"
#include "core/stages.h"
#include "launcher/preflight.h"
#ifdef TF_WITH_CONTROL
#include "launcher/control/auth.h"
#include "launcher/control/listen_address.h"
#include "launcher/control/tls_files.h"
#endif

namespace tf {
namespace {

// One block per stage: its layout and launch, its batch split and its memory on the costliest
// rank, compared with `budget` where one is known. Returns the stages that do not fit.
int log_stage_plans(const Config& config, const std::vector<StagePlan>& plans,
                    const std::optional<MemoryBudget>& budget, const Logger& log) {
  const size_t launches = plans.empty() ? 0 : plans.back().job + 1;
  const char* other =
      config.train.activation_checkpointing == ActivationCheckpointing::kLayer ? "without" : "with";
  int too_big = 0;
  for (const StagePlan& plan : plans) {
    const ParallelConfig& p = plan.parallel;
    const std::string split = p.pp > 1 ? "; " + split_text(plan.split) : "";
    const int64_t parameters = parameter_count(with_token_counts(config.model, plan.stage.tokens));
    log.info(format("stage '%s' (%s parameters): %s = %s, launch %zu of %zu%s",
                    plan.stage.name.c_str(), with_commas(parameters).c_str(),
                    layout_text(p).c_str(), count_of(plan.ranks, "rank").c_str(), plan.job + 1,
                    launches, split.c_str()));
    log.info(format("  batch: global %lld = micro %lld x accumulation %lld x dp %lld sequences",
                    (long long)config.train.global_batch, (long long)config.train.micro_batch,
                    (long long)plan.accumulation, (long long)p.dp));
    const bool fits = !budget || plan.need.total() <= budget->bytes;
    too_big += fits ? 0 : 1;
    const char* verdict = !budget ? "" : fits ? "; fits" : "; does not fit";
    log.info(format("  memory: about %s on the costliest rank; %s activation checkpointing %s%s",
                    to_text(plan.need).c_str(), other, bytes_text(plan.alternative.total()).c_str(),
                    verdict));
  }
  return too_big;
}

// "memory: <budget>; every stage fits", or what a launch does with a stage that does not.
void log_budget(const std::string& budget, int too_big, const Logger& log) {
  log.info("memory: " + budget +
           (too_big == 0 ? "; every stage fits"
                         : ": a launch there is refused before it allocates the model "
                           "(train.ignore_memory_check: true trains anyway)"));
}

void log_resolved_config(const Config& config, const DryRunOptions& options, const Logger& log) {
  if (options.print_config) {
    log.info("resolved config:\n" + to_yaml(config));
  } else {
    log.info("resolved config: not shown (--print-config shows it)");
  }
}

// The model as the first stage starts it, for the banner.
ModelConfig first_model(const Config& config) {
  return with_token_counts(config.model, plan_stages(config).front().tokens);
}

}  // namespace

DryRunOptions dry_run_options(const CommandLine& line, int64_t world_size) {
  DryRunOptions options;
  options.enabled = line.has("dry-run");
  options.print_config = line.has("print-config");
  options.ranks = line.count("ranks", 0);
  if (line.has("ranks") && !options.enabled) {
    throw Error(
        "--ranks belongs to a dry run: add --dry-run (a launch trains on the ranks it is started "
        "with)");
  }
  if (options.print_config && !options.enabled) {
    throw Error("--print-config belongs to a dry run: add --dry-run");
  }
  if (options.ranks > 0 && world_size > 1) {
    throw Error("--ranks " + std::to_string(options.ranks) +
                " plans that many ranks from one process, but this launch has " +
                count_of(world_size, "rank") +
                ": run it without mpirun, or drop --ranks to check the " +
                count_of(world_size, "rank") + " of this launch");
  }
  return options;
}

int dry_run(const Config& config, const ParallelContext& context, const DryRunOptions& options,
            const Logger& log) {
  log_banner(config, first_model(config), context, log);
  const MemoryBudget budget = rank_memory_budget(context.device(), context.ranks_on_host());
  const int too_big =
      log_stage_plans(config, plan_launches(config, context.world_size()), budget, log);
  log_budget("this rank has " + bytes_text(budget.bytes) + " (" + budget.source + ")", too_big,
             log);
  log_resolved_config(config, options, log);
  check_run_inputs(config);
#ifdef TF_WITH_CONTROL
  if (log.is_primary()) {
    if (!config.control.address.empty()) {
      control::check_can_listen("control.address", config.control.address);
      // The token and TLS files as the launch reads them: a dry run refuses what it would.
      control::Authenticator::from_config(config.control);
      if (!config.control.tls_cert.empty()) control::read_tls_files(config.control);
    }
    if (!config.metrics.address.empty()) {
      control::check_can_listen("metrics.address", config.metrics.address);
    }
  }
#endif
  log.info(
      "dry run: config valid; data, tokenizer, init_from, checkpoint.dir and addresses "
      "checked; no model allocated; exiting");
  return 0;
}

int dry_run_for_ranks(const Config& config, const DryRunOptions& options, const Logger& log) {
  const std::string ranks = count_of(options.ranks, "rank");
  log_model_banner(config, first_model(config), log);
  log.info("dry run for " + ranks + " in this one process: stages with dp 0 take dp = " +
           std::to_string(options.ranks) + " / (tp x pp); no mesh, no device, no model");
  const std::vector<StagePlan> plans = plan_launches(config, options.ranks);
  std::optional<MemoryBudget> budget;
  if (config.train.device != DeviceSetting::kCpu && visible_gpus() > 0) {
    if (const auto gpu = device_memory_budget(torch::Device(torch::kCUDA, 0))) {
      budget = MemoryBudget{static_cast<double>(*gpu), "free on this machine's first GPU"};
    }
  }
  const int too_big = log_stage_plans(config, plans, budget, log);
  if (budget) {
    log_budget("compared with the " + bytes_text(budget->bytes) + " " + budget->source, too_big,
               log);
  } else {
    log.info(
        "memory: per rank, not compared with a device: this process sees no GPU (or "
        "train.device is cpu)");
  }
  log_resolved_config(config, options, log);
  check_run_inputs(config);
  log.info("dry run for " + ranks +
           ": config valid; every stage's layout, batch split and memory planned; data, "
           "tokenizer, init_from and checkpoint.dir checked (addresses are not: the ranks run "
           "elsewhere); no model allocated; exiting");
  return 0;
}

}  // namespace tf
