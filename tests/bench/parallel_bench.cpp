// Parallel benchmark, one layout per run: `mpirun -np N tf_parallel_bench TP STEPS` trains a small
// TokenFormer (dp = N / TP) and prints one line: the median step time (slowest rank) and the
// bytes this rank sent per step, measured by CountingCommunicator and predicted analytically:
//   tp: per layer and micro batch of R = micro_batch * seq_len rows, the all-reduces carry
//       forward  Q/K/V stats 3R + outputs 3Rd, proj R + Rd, ffn R + Rd
//       backward Q/K/V/proj/ffn region entries 3Rd, stats 3R + R + R
//       = 8Rd + 10R floats, plus one fp64 grad-norm partial per step;
//   dp: every gradient (N_params floats) plus the fp64 loss per step;
// each all-reduce of B bytes over P ranks sending 2(P-1)/P * B (ring). parallel_bench.sh runs the
// layouts and prints speed-up and efficiency.
#include <torch/torch.h>

#include <cstdio>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/trainer/trainer.h"
#include "parallel/mesh_context.h"
#include "parallel/mpi_runtime.h"
#include "parallel/rank_main.h"
#include "tests/bench/counting_communicator.h"
#include "tests/bench/timed_steps.h"

namespace {

double ring(double bytes, int64_t ranks) { return 2.0 * (ranks - 1) / ranks * bytes; }

double analytic_bytes(const tf::Config& c, int64_t tp, int64_t dp, int64_t accumulation,
                      int64_t params_local) {
  const double rows = double(c.train.micro_batch) * c.model.seq_len;
  const double d = double(c.model.hidden_size);
  const double tp_floats = (8 * rows * d + 10 * rows) * c.model.num_layers * accumulation;
  return ring(4 * tp_floats + 8, tp) + ring(4.0 * params_local + 8, dp);
}

int bench(const tf::parallel::MpiRuntime& runtime, int64_t tp, int64_t steps) {
  const tf::Config config = tf::load_config(
      std::string(TF_SOURCE_DIR) + "/configs/tiny.yaml",
      {"model.hidden_size=128", "model.num_layers=2", "model.num_heads=4", "model.qkv_tokens=256",
       "model.proj_tokens=256", "model.ffn_tokens=1024", "model.seq_len=64", "train.global_batch=8",
       "train.micro_batch=4", "train.steps=" + std::to_string(steps + 2),
       "parallel.tp=" + std::to_string(tp)});
  double bytes = 0;
  tf::parallel::bench::CountingCommunicator world(runtime.world(), &bytes);
  const auto timing = runtime.world();  // not counted
  tf::parallel::MeshContext context(world, config);
  const tf::Logger quiet(1);
  tf::Trainer trainer(config, context, quiet);
  const tf::parallel::bench::TimedSteps timed =
      tf::parallel::bench::time_steps(trainer, *timing, bytes, steps);
  int64_t params_local = 0;
  for (const auto& p : trainer.model()->parameters()) params_local += p.numel();
  const double measured = timed.bytes_per_step;
  const double expected =
      analytic_bytes(config, tp, context.dp_size(), trainer.accumulation_steps(), params_local);
  if (runtime.world_rank() == 0) {
    std::printf(
        "ranks %d tp %lld dp %lld | median step %.4f s | sent/rank/step %.0f B | "
        "analytic %.0f B | ratio %.4f\n",
        runtime.world_size(), (long long)tp, (long long)context.dp_size(), timed.median_seconds,
        measured, expected, expected > 0 ? measured / expected : 1.0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const tf::parallel::MpiRuntime runtime(&argc, &argv);
  at::set_num_threads(1);
  return tf::parallel::run_rank(runtime, "tf_parallel_bench", [&] {
    if (argc != 3) throw tf::Error("usage: tf_parallel_bench TP STEPS");
    return bench(runtime, std::stoll(argv[1]), std::stoll(argv[2]));
  });
}
