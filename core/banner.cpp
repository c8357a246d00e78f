#include "core/banner.h"

#include <torch/torch.h>

#include "core/blas_info.h"
#include "core/device.h"
#include "core/memory_estimate.h"
#include "core/sizes.h"
#include "core/stages.h"
#include "core/version.h"

namespace tf {

void log_banner(const Config& config, const ModelConfig& m, const ParallelContext& context,
                const Logger& log) {
  log.info(format("tokenformer %s, LibTorch %s (%s), %s per rank, BLAS: %s", kVersion,
                  TORCH_VERSION, build_summary().c_str(),
                  count_of(at::get_num_threads(), "intra-op thread").c_str(),
                  blas_library().c_str()));
  log.info("layout: " + context.describe());
  log.info(
      format("model: %lld layers, hidden %lld, %lld heads, tokens qkv %lld proj %lld ffn %lld, "
             "seq %lld, vocab %lld (padded %lld), norm %s",
             (long long)m.num_layers, (long long)m.hidden_size, (long long)m.num_heads,
             (long long)m.qkv_tokens, (long long)m.proj_tokens, (long long)m.ffn_tokens,
             (long long)m.seq_len, (long long)m.vocab_size, (long long)m.padded_vocab(),
             choice_name(m.norm)));
  log.info(format("parameters: %s (%s in parameter tokens); training FLOPs per token: %.4g",
                  with_commas(parameter_count(m)).c_str(),
                  with_commas(token_parameter_count(m)).c_str(), training_flops_per_token(m)));
  if (!config.stages.empty()) {
    for (const Stage& s : plan_stages(config)) {
      const ModelConfig grown = with_token_counts(m, s.tokens);
      log.info(
          format("stage %-8s tokens qkv %6lld proj %6lld ffn %6lld | %s parameters | "
                 "%.4g training FLOPs/token | %s, lr %.2e -> %.2e, growth %s, "
                 "optimizer %s, %s",
                 s.name.c_str(), (long long)s.tokens.qkv, (long long)s.tokens.proj,
                 (long long)s.tokens.ffn, with_commas(parameter_count(grown)).c_str(),
                 training_flops_per_token(grown), count_of(s.steps, "step").c_str(),
                 s.schedule.peak, s.schedule.minimum, choice_name(s.growth),
                 choice_name(s.carry_optimizer ? OptimizerRule::kCarry : OptimizerRule::kReset),
                 layout_text(s.parallel).c_str()));
    }
  }
  const int64_t accumulation = accumulation_steps(config, context.dp_size());
  log.info(format("batch: global %lld = micro %lld x accumulation %lld x dp %lld sequences",
                  (long long)config.train.global_batch, (long long)config.train.micro_batch,
                  (long long)accumulation, (long long)context.dp_size()));
}

void log_memory_plan(const Config& config, const ParallelContext& context, const Logger& log) {
  const MemoryBudget budget = rank_memory_budget(context.device(), context.ranks_on_host());
  const bool checkpointing =
      config.train.activation_checkpointing == ActivationCheckpointing::kLayer;
  Config other = config;
  other.train.activation_checkpointing =
      checkpointing ? ActivationCheckpointing::kNone : ActivationCheckpointing::kLayer;
  int too_big = 0;
  const std::vector<Stage> stages = plan_stages(config);
  const int64_t world = context.world_size();
  for (const StageMemory& plan : estimate_stages_memory(config, stages, world, budget.bytes)) {
    const Stage& stage = *plan.stage;
    const MemoryEstimate alternative =
        estimate_layout_memory(other, stage.tokens, stage.parallel, world);
    too_big += plan.fits ? 0 : 1;
    log.info(
        format("memory: stage '%s' (%s parameters, %s): about %s on the costliest rank; %s "
               "activation checkpointing %s; %s",
               stage.name.c_str(),
               with_commas(parameter_count(with_token_counts(config.model, stage.tokens))).c_str(),
               layout_text(stage.parallel).c_str(), to_text(plan.need).c_str(),
               checkpointing ? "without" : "with", bytes_text(alternative.total()).c_str(),
               plan.fits ? "fits" : "does not fit"));
  }
  log.info(format("memory: this rank has %s (%s)%s", bytes_text(budget.bytes).c_str(),
                  budget.source,
                  too_big == 0 ? "; every stage fits"
                               : ": a launch here is refused before it allocates the model "
                                 "(train.ignore_memory_check: true trains anyway)"));
}

}  // namespace tf
