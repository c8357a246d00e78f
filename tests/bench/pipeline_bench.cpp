// Pipeline benchmark, one layout per run: `mpirun -np P tf_pipeline_bench MICRO_BATCHES STEPS
// [SCHEDULE]` trains a small TokenFormer at pp = P (1F1B by default, or gpipe; dp 1) with
// MICRO_BATCHES micro batches per step and prints one line: the median step time (slowest rank) and
// the bytes rank 0 sent per step, measured by CountingCommunicator and predicted analytically. Per
// step the first stage sends one activation [micro_batch, seq, hidden] per micro batch forward, the
// last one gradient of that shape per micro batch backward, a middle stage both; the two ends
// exchange the tied embedding's gradient (V_pad x hidden fp32); every stage all-reduces the fp64
// gradient norm and loss over the pipeline (ring: 2(P-1)/P x 8 bytes each). pipeline_bench.sh turns
// the times into bubbles.
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

double analytic_bytes(const tf::Config& c, int64_t stages, int64_t stage, int64_t micro_batches) {
  if (stages == 1) return 0;
  const tf::ModelConfig& m = c.model;
  const double activation = 4.0 * c.train.micro_batch * m.seq_len * m.hidden_size;
  const bool first = stage == 0, last = stage + 1 == stages;
  const double p2p = activation * micro_batches * ((first ? 0 : 1) + (last ? 0 : 1));
  const double tied = first || last ? 4.0 * m.padded_vocab() * m.hidden_size : 0;
  const double ring = 2.0 * (stages - 1) / stages * 8;
  return p2p + tied + 2 * ring;
}

int bench(const tf::parallel::MpiRuntime& runtime, int64_t micro_batches, int64_t steps,
          const std::string& schedule) {
  const int64_t stages = runtime.world_size();
  const tf::Config config = tf::load_config(
      std::string(TF_SOURCE_DIR) + "/configs/tiny.yaml",
      {"model.hidden_size=128", "model.num_layers=4", "model.num_heads=4", "model.qkv_tokens=256",
       "model.proj_tokens=256", "model.ffn_tokens=1024", "model.seq_len=64", "model.vocab_size=257",
       "train.micro_batch=2", "train.global_batch=" + std::to_string(2 * micro_batches),
       "train.steps=" + std::to_string(steps + 2), "parallel.pp=" + std::to_string(stages),
       "parallel.pp_schedule=" + schedule});
  double bytes = 0;
  tf::parallel::bench::CountingCommunicator world(runtime.world(), &bytes);
  const auto timing = runtime.world();  // not counted
  tf::parallel::MeshContext context(world, config);
  const tf::Logger quiet(1);
  tf::Trainer trainer(config, context, quiet);
  const tf::parallel::bench::TimedSteps timed =
      tf::parallel::bench::time_steps(trainer, *timing, bytes, steps);
  const double measured = timed.bytes_per_step;
  const double expected = analytic_bytes(config, stages, context.pp_rank(), micro_batches);
  if (runtime.world_rank() == 0) {
    std::printf(
        "pp %lld %s micro batches %lld | median step %.4f s | sent by rank 0/step %.0f B | "
        "analytic %.0f B | ratio %.4f\n",
        (long long)stages, schedule.c_str(), (long long)micro_batches, timed.median_seconds,
        measured, expected, expected > 0 ? measured / expected : 1.0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const tf::parallel::MpiRuntime runtime(&argc, &argv);
  at::set_num_threads(1);
  return tf::parallel::run_rank(runtime, "tf_pipeline_bench", [&] {
    if (argc != 3 && argc != 4) {
      throw tf::Error("usage: tf_pipeline_bench MICRO_BATCHES STEPS [1f1b|gpipe]");
    }
    return bench(runtime, std::stoll(argv[1]), std::stoll(argv[2]), argc == 4 ? argv[3] : "1f1b");
  });
}
