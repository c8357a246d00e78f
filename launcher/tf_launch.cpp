// tf-launch: trains (or validates) the model described by one YAML config on every rank.
#include <torch/torch.h>

#include <cstdio>
#include <exception>

#include "core/banner.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel_context.h"
#include "core/trainer.h"
#include "launcher/cli.h"
#ifdef TF_WITH_CONTROL
#include "launcher/control/control_plane.h"
#endif

namespace {

constexpr const char* kUsage =
    "usage: tf-launch --config FILE [--set key.path=value ...] [--dry-run]\n";

int run(int argc, char** argv) {
  const tf::CommandLine line = tf::parse_command_line(argc, argv, {"config"}, {"dry-run", "help"});
  if (line.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!line.has("config")) throw tf::Error("--config FILE is required");
  const tf::Config config = tf::load_config(line.value("config"), line.sets);
  if (config.train.threads > 0) at::set_num_threads(config.train.threads);
  tf::Logger log(0);
  tf::LocalContext context;
  if (line.has("dry-run")) {
    log.info("resolved config:\n" + tf::to_yaml(config));
    tf::log_banner(config, context, log);
    tf::TokenFormer model(config.model, context.token_ops().size(), context.token_ops().rank());
    log.info("dry run: config valid, model built; exiting");
    return 0;
  }
  tf::Trainer trainer(config, context, log);
#ifdef TF_WITH_CONTROL
  // No scale-up or checkpoint action yet: the trainer cannot grow and core/ writes no
  // checkpoints on this branch, so those requests are refused with UNIMPLEMENTED.
  tf::control::ControlPlane control(config, context, log, tf::control::ControlActions{});
  trainer.set_observer(&control.observer());
  trainer.run();
  control.finish(trainer.step());
#else
  trainer.run();
#endif
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const tf::Error& e) {
    std::fprintf(stderr, "tf-launch: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tf-launch: internal error: %s\n", e.what());
    return 1;
  }
}
