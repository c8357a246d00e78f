// tf-launch: trains (or validates) the model described by one YAML config on every rank.
#include <torch/torch.h>

#include <cstdio>
#include <exception>

#include "core/banner.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/trainer.h"
#include "launcher/cli.h"
#include "parallel/communicator_factory.h"
#include "parallel/mesh_context.h"
#include "parallel/mpi_runtime.h"
#include "parallel/rank_main.h"

namespace {

constexpr const char* kUsage =
    "usage: tf-launch --config FILE [--set key.path=value ...] [--dry-run]\n";

int run(int argc, char** argv, const tf::parallel::MpiRuntime& runtime) {
  const tf::CommandLine line = tf::parse_command_line(argc, argv, {"config"}, {"dry-run", "help"});
  if (line.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!line.has("config")) throw tf::Error("--config FILE is required");
  const tf::Config config = tf::load_config(line.value("config"), line.sets);
  if (config.train.threads > 0) at::set_num_threads(config.train.threads);
  tf::Logger log(runtime.world_rank());
  const auto world = tf::parallel::make_world_communicator(tf::parallel::Backend::kMpi, runtime);
  tf::parallel::MeshContext context(*world, config);
  if (line.has("dry-run")) {
    log.info("resolved config:\n" + tf::to_yaml(config));
    tf::log_banner(config, context, log);
    tf::TokenFormer model(config.model, context.token_ops().size(), context.token_ops().rank());
    log.info("dry run: config valid, model built; exiting");
    return 0;
  }
  tf::Trainer trainer(config, context, log);
  trainer.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const tf::parallel::MpiRuntime runtime(&argc, &argv);
    return tf::parallel::run_rank(runtime, "tf-launch", [&] { return run(argc, argv, runtime); });
  } catch (const std::exception& e) {  // MPI itself failed to start
    std::fprintf(stderr, "tf-launch: error: %s\n", e.what());
    return 1;
  }
}
