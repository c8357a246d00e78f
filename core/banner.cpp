#include "core/banner.h"

#include <torch/torch.h>

#include "core/blas_info.h"
#include "core/device.h"
#include "core/growth.h"
#include "core/sizes.h"
#include "core/stages.h"
#include "core/version.h"

namespace tf {

namespace {

void log_versions(const Logger& log) {
  log.info(format("tokenformer %s, LibTorch %s (%s), %s per rank, BLAS: %s", kVersion,
                  TORCH_VERSION, build_summary().c_str(),
                  count_of(at::get_num_threads(), "intra-op thread").c_str(),
                  blas_library().c_str()));
}

void log_model(const Config& config, const ModelConfig& m, const Logger& log) {
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
      log.info(format(
          "stage %-8s tokens qkv %6lld proj %6lld ffn %6lld | %s parameters | "
          "%.4g training FLOPs/token | %s, lr %.2e -> %.2e, %s, %s",
          s.name.c_str(), (long long)s.tokens.qkv, (long long)s.tokens.proj,
          (long long)s.tokens.ffn, with_commas(parameter_count(grown)).c_str(),
          training_flops_per_token(grown), count_of(s.steps, "step").c_str(), s.schedule.peak,
          s.schedule.minimum, s.recipe.describe(false).c_str(), layout_text(s.parallel).c_str()));
    }
  }
}

}  // namespace

void log_banner(const Config& config, const ModelConfig& m, const ParallelContext& context,
                const Logger& log) {
  log_versions(log);
  log.info("layout: " + context.describe());
  log_model(config, m, log);
  const int64_t accumulation = accumulation_steps(config, context.dp_size());
  log.info(format("batch: global %lld = micro %lld x accumulation %lld x dp %lld sequences",
                  (long long)config.train.global_batch, (long long)config.train.micro_batch,
                  (long long)accumulation, (long long)context.dp_size()));
}

void log_model_banner(const Config& config, const ModelConfig& m, const Logger& log) {
  log_versions(log);
  log_model(config, m, log);
}

}  // namespace tf
