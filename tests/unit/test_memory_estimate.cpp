// The memory estimate against what a training step really takes on the CPU, and its arithmetic.
#include <gtest/gtest.h>
#include <malloc.h>

#include <fstream>
#include <string>

#include "core/config.h"
#include "core/memory_estimate.h"
#include "core/sizes.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

// A field of /proc/self/status ("VmHWM:  1234 kB") in bytes.
double status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) * 1024;
  }
  ADD_FAILURE() << "no " << field << " in /proc/self/status";
  return 0;
}

// Peak resident memory added by the first training step (gradients, AdamW moments and
// activations appear; the parameters already exist).
// Blocks of 1 MiB and more are mapped and unmapped by themselves (a fixed threshold: glibc's own
// rises after frees), so that freed tensors of earlier tests are not reused unseen.
double first_step_peak(Trainer& trainer) {
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current VmRSS
  const double before = status_bytes("VmRSS");
  trainer.train_step();
  return status_bytes("VmHWM") - before;
}

Config shaped(const std::string& model, const std::string& train) {
  return parse_config("model: {" + model + ", vocab_size: 257}\ntrain: {steps: 2, " + train +
                          ", eval_interval: 0}\ndata: {synthetic: {documents: 64, doc_len: 1024}}\n",
                      "inline.yaml");
}

struct Shape {
  const char* name;
  const char* model;
  const char* train;
};

void PrintTo(const Shape& shape, std::ostream* out) { *out << shape.name; }

// Shapes where each term dominates in turn: Pattention activations (many tokens, long rows),
// long sequences (where fused attention must not keep a score matrix), parameters and their
// optimizer state (wide, few rows), and
// the same Pattention-heavy shape with recomputed blocks.
const Shape kShapes[] = {
    {"tokens", "hidden_size: 64, num_layers: 2, num_heads: 4, qkv_tokens: 1024, proj_tokens: 1024, "
               "ffn_tokens: 8192, seq_len: 256", "global_batch: 8, micro_batch: 8"},
    {"sequence", "hidden_size: 64, num_layers: 2, num_heads: 8, qkv_tokens: 64, proj_tokens: 64, "
                 "ffn_tokens: 256, seq_len: 1024", "global_batch: 4, micro_batch: 4"},
    {"parameters", "hidden_size: 512, num_layers: 4, num_heads: 8, qkv_tokens: 2048, "
                   "proj_tokens: 2048, ffn_tokens: 8192, seq_len: 16",
     "global_batch: 1, micro_batch: 1"},
    {"tokens_bf16", "hidden_size: 64, num_layers: 2, num_heads: 4, qkv_tokens: 1024, "
                    "proj_tokens: 1024, ffn_tokens: 8192, seq_len: 256",
     "global_batch: 8, micro_batch: 8, precision: bf16"},
    {"tokens_recomputed", "hidden_size: 64, num_layers: 4, num_heads: 4, qkv_tokens: 1024, "
                          "proj_tokens: 1024, ffn_tokens: 8192, seq_len: 256",
     "global_batch: 8, micro_batch: 8, activation_checkpointing: layer"},
};

class MeasuredPeak : public testing::TestWithParam<Shape> {};

TEST_P(MeasuredPeak, EstimateIsWithinAQuarter) {
  const Config config = shaped(GetParam().model, GetParam().train);
  LocalContext context;
  Trainer trainer(config, context, Logger(1));
  const MemoryEstimate e = estimate_rank_memory(config.model, config.train, {});
  const double estimated = e.gradients + e.optimizer + e.buffers + e.activations;
  const double measured = first_step_peak(trainer);
  std::printf("%s: measured %s, estimated %s of %s\n", GetParam().name, bytes_text(measured).c_str(),
              bytes_text(estimated).c_str(), to_text(e).c_str());
  EXPECT_GT(estimated, measured / 1.25) << to_text(e);
  EXPECT_LT(estimated, measured * 1.25) << to_text(e);
}

INSTANTIATE_TEST_SUITE_P(Shapes, MeasuredPeak, testing::ValuesIn(kShapes),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tf
