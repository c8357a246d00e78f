// tf-launch: trains (or validates) the model described by one YAML config on every rank.
#include <torch/torch.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>

#include "core/config.h"
#include "core/device.h"
#include "core/error.h"
#include "core/exit_status.h"
#include "core/layout.h"
#include "core/log.h"
#include "core/trainer/trainer.h"
#include "launcher/cli.h"
#include "launcher/commands.h"
#include "launcher/commit_guard.h"
#include "launcher/dry_run.h"
#include "launcher/fault_report.h"
#include "launcher/host_allocator.h"
#include "launcher/lease.h"
#include "launcher/open_files.h"
#include "launcher/preemption.h"
#include "launcher/step_status.h"
#include "launcher/terminal.h"
#include "launcher/watchdog.h"
#ifdef TF_WITH_CONTROL
#include "launcher/control/control_plane.h"
#endif
#include "parallel/communicator_factory.h"
#include "parallel/mesh_context.h"
#include "parallel/mpi_runtime.h"
#include "parallel/rank_main.h"
#include "parallel/startup_agreement.h"

namespace {

// Failure detection of this process (launcher/watchdog.h); set up once the config is read.
struct Faults {
  tf::PhaseClock clock;
  std::unique_ptr<tf::CheckpointLease> lease;  // world rank 0's, with a checkpoint.dir
  std::unique_ptr<tf::FaultReporter> reporter;
  std::unique_ptr<tf::Watchdog> watchdog;
};

// An id shared by the ranks of this launch, from rank 0's clock and process id.
std::string launch_id(tf::parallel::Communicator& world) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t mine =
      std::chrono::duration_cast<std::chrono::microseconds>(now).count() * 1000 + getpid() % 1000;
  torch::Tensor id = torch::tensor({world.rank() == 0 ? mine : 0}, torch::kInt64);
  world.broadcast(id);
  return std::to_string(id.item<int64_t>());
}

// One job per checkpoint directory (launcher/lease.h): world rank 0 takes the lease before any
// rank writes a status file, so that a refused launch leaves the running job's files alone.
void take_lease(const tf::Config& config, const tf::parallel::MpiRuntime& runtime,
                const std::string& launch, const tf::Logger& log, Faults& faults) {
  if (runtime.world_rank() != 0 || config.checkpoint.dir.empty()) return;
  faults.lease = std::make_unique<tf::CheckpointLease>(
      config.checkpoint.dir, tf::this_process_holder(launch, tf::Watchdog::interval(config.fault)));
  if (!faults.lease->taken_over().empty()) log.info(faults.lease->taken_over());
}

void start_watchdog(const tf::Config& config, const tf::parallel::MpiRuntime& runtime,
                    const std::string& launch, bool write_files, Faults& faults) {
  const tf::RankIdentity me{runtime.world_rank(), runtime.world_size(), tf::host_name(), getpid(),
                            launch};
  faults.reporter = std::make_unique<tf::FaultReporter>(write_files ? tf::fault_dir(config) : "",
                                                        me, tf::Watchdog::interval(config.fault),
                                                        tf::fault_dir_origin(config));
  tf::CheckpointLease* lease = faults.lease.get();
  faults.watchdog = std::make_unique<tf::Watchdog>(
      config.fault, faults.clock, *faults.reporter,
      [&runtime, lease] {
        if (lease) lease->release();
        tf::parallel::abort_device_communicators();
        runtime.abort(tf::kExitTimeout);
      },
      [lease] {
        if (lease) lease->renew();
      });
}

#ifdef TF_WITH_CONTROL
// SaveCheckpoint writes to checkpoint.dir when one is configured.
tf::control::ControlActions control_actions(const tf::Config& config) {
  tf::control::ControlActions actions;
  if (!config.checkpoint.dir.empty()) {
    actions.save_checkpoint = [](tf::Trainer& trainer) { return trainer.save_checkpoint(); };
  }
  return actions;
}
#endif

// The layout of the stage this launch trains first (a relaunch after a layout change continues
// with the next stage's); the world size must fit it.
tf::ParallelConfig launch_layout(const tf::Config& config, int world_size, const tf::Logger& log) {
  const tf::Stage stage = tf::launch_stage(config);
  const tf::ParallelConfig& p = stage.parallel;
  tf::resolve_layout(p, world_size, config.source + ": stage '" + stage.name + "'");
  if (!config.stages.empty()) {
    log.info(tf::format("stage '%s' runs at %s", stage.name.c_str(), tf::layout_text(p).c_str()));
  }
  return p;
}

// How a run ended, for the control plane's last state message.
[[maybe_unused]] const char* ending_text(tf::Trainer::RunEnd end) {
  switch (end) {
    case tf::Trainer::RunEnd::kLayoutChange:
      return "stopped for a relaunch";
    case tf::Trainer::RunEnd::kPreempted:
      return "stopped by a preemption signal";
    case tf::Trainer::RunEnd::kFinished:
      break;
  }
  return "finished";
}

constexpr const char* kUsage =
    "usage: tf-launch --config FILE [--set key.path=value ...] [--dry-run [--ranks N] "
    "[--print-config]]\n"
    "       tf-launch eval --config FILE (--checkpoint DIR | --init-from PATH) --data PATH\n"
    "       tf-launch generate --config FILE (--checkpoint DIR | --init-from PATH)\n"
    "                          (--prompt \"ID ...\" | --text STRING) [--tokens N] [--logits FILE]\n"
    "       tf-launch inspect-ckpt DIR\n"
    "       tf-launch plan --config FILE [--ranks N]\n"
    "       tf-launch summary DIR [--unless-printed]\n";

int run(int argc, char** argv, const tf::parallel::MpiRuntime& runtime, Faults& faults) {
  const int64_t launcher = tf::launcher_pid();  // before a dead launcher could orphan this rank
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "eval") return tf::run_eval_command(argc - 1, argv + 1);
  if (command == "generate") return tf::run_generate_command(argc - 1, argv + 1);
  if (command == "inspect-ckpt") return tf::run_inspect_command(argc - 1, argv + 1);
  if (command == "plan") return tf::run_plan_command(argc - 1, argv + 1);
  if (command == "summary") return tf::run_summary_command(argc - 1, argv + 1);
  const auto world = tf::parallel::make_world_communicator(tf::parallel::Backend::kMpi, runtime);
  tf::Logger log(runtime.world_rank());
  tf::CommandLine line;
  tf::DryRunOptions dry;
  tf::Config config;
  // Usage, config and layout errors are printed once (parallel/startup_agreement.h).
  tf::parallel::agree_on_startup(*world, [&] {
    line = tf::parse_command_line(argc, argv, {"config", "ranks"},
                                  {"dry-run", "help", "print-config"});
    if (line.has("help")) return;
    if (!line.has("config")) {
      if (runtime.world_rank() == 0) std::fputs(kUsage, stderr);
      throw tf::Error("--config FILE is required (usage above; --help prints it)");
    }
    dry = tf::dry_run_options(line, runtime.world_size());
    config = tf::load_config(line.value("config"), line.sets);
    if (dry.ranks == 0) config.parallel = launch_layout(config, runtime.world_size(), log);
  });
  if (line.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  // Ranks of one job share a node's cores: one intra-op thread each unless train.threads asks.
  if (config.train.threads > 0) {
    at::set_num_threads(config.train.threads);
  } else if (runtime.world_size() > 1) {
    at::set_num_threads(1);
  }
  if (dry.ranks > 0) return tf::dry_run_for_ranks(config, dry, log);  // one process
  const tf::OpenFileLimit files = tf::raise_open_file_limit();
  if (!dry.enabled) tf::install_preemption_handlers();
  const std::string launch = launch_id(*world);
  if (!dry.enabled) {
    tf::parallel::agree_on_startup(*world,
                                   [&] { take_lease(config, runtime, launch, log, faults); });
  }
  start_watchdog(config, runtime, launch, !dry.enabled, faults);
  tf::parallel::MeshContext context(*world, config);
  faults.reporter->set_placement(context.local_rank(), context.device().str());
  if (dry.enabled) {
    int status = 0;
    tf::parallel::agree_on_startup(*world,
                                   [&] { status = tf::dry_run(config, context, dry, log); });
    return status;
  }
  log.info(tf::describe(files));
  // Ctrl-C reaches a rank instead of an interactive mpirun (launcher/terminal.h).
  const tf::TerminalInterrupts interrupts(runtime.world_size() > 1 && context.local_rank() == 0);
  tf::GuardedCheckpointSync checkpoint_sync(*world, faults.lease.get(), launcher);
  tf::TrainerCollaborators with;
  with.preemption_flag = tf::preemption_signalled;
  with.clock = &faults.clock;
  with.checkpoint_sync = &checkpoint_sync;
#ifdef TF_WITH_CONTROL
  std::optional<tf::control::ControlPlane> control;
#endif
  std::optional<tf::StepStatusObserver> observer;
  std::optional<tf::Trainer> trainer;
  // The model, data, servers and resumed checkpoint: their errors are printed once as well.
  tf::parallel::agree_on_startup(*world, [&] {
    tf::StepObserver* next = nullptr;
#ifdef TF_WITH_CONTROL
    control.emplace(
        config, context, log, control_actions(config),
        tf::control::RankPlacement{tf::host_name(), context.local_rank(), context.device().str()});
    next = &control->observer();
#endif
    with.observer = &observer.emplace(*faults.reporter, next);
    trainer.emplace(config, context, log, with);
    trainer->start();
  });
  const tf::Trainer::RunEnd end = trainer->run();
#ifdef TF_WITH_CONTROL
  control->finish(trainer->step(), ending_text(end));
#endif
  faults.clock.enter(tf::Phase::kIdle, trainer->step());  // what follows is teardown
  switch (end) {
    case tf::Trainer::RunEnd::kLayoutChange:
      faults.watchdog->stop("stopped for a relaunch");
      return tf::kExitRelaunch;
    case tf::Trainer::RunEnd::kPreempted:
      faults.watchdog->stop("preempted");
      return tf::kExitPreempted;
    case tf::Trainer::RunEnd::kFinished:
      break;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tf::reuse_freed_memory();
  try {
    const tf::parallel::MpiRuntime runtime(&argc, &argv);
    Faults faults;
    const auto record = [&faults](const char* kind, const std::string& message, bool agreed) {
      if (!faults.reporter) return;
      faults.watchdog->stop("failed");
      if (faults.lease) faults.lease->release();
      faults.reporter->write_error(faults.clock.read(), kind, message);
      if (!agreed) tf::report_failure(*faults.reporter);  // an agreed error is printed already
    };
    return tf::parallel::run_rank(
        runtime, "tf-launch", [&] { return run(argc, argv, runtime, faults); }, record);
  } catch (const std::exception& e) {  // MPI itself failed to start
    std::fprintf(stderr, "tf-launch: error: %s\n", e.what());
    return tf::kExitInternal;
  }
}
