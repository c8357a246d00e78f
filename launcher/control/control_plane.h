// Everything tf-launch runs for control and metrics, built from the config: on world rank 0 the
// gRPC server and the metrics exposer (each with its own threads), on every rank the ControlLoop
// to hand the Trainer as its observer (TrainerCollaborators). Created in main before the Trainer,
// destroyed after run() returned; the destructor refuses pending requests before it stops the
// servers, so it never waits on a handler that waits on training.
#pragma once

#include <memory>
#include <optional>

#include "core/config.h"
#include "core/log.h"
#include "core/parallel_context.h"
#include "launcher/control/auth.h"
#include "launcher/control/command_queue.h"
#include "launcher/control/control_loop.h"
#include "launcher/control/control_server.h"
#include "launcher/control/control_service.h"
#include "launcher/control/log_limiter.h"
#include "launcher/control/metrics_exposer.h"
#include "launcher/control/status_board.h"
#include "launcher/control/training_metrics.h"
#include "launcher/control/watch_slots.h"

namespace tf::control {

// How much of the process the servers may hold (control_plane.cpp: from the control settings and
// the open files left for clients, open_files.h).
struct ServerBounds {
  GateLimits control;
  size_t metrics_connections = 0;
  int threads = 0;
};
ServerBounds server_bounds(const ControlConfig& control, uint64_t files_for_clients);

class ControlPlane {
 public:
  // Throws tf::Error for an unreadable token or TLS file or an address that cannot be bound.
  // `here`: where this rank runs, for the status's and the metrics' rank figures.
  ControlPlane(const Config& config, ParallelContext& context, const Logger& log,
               ControlActions actions, RankPlacement here);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  StepObserver& observer() { return *loop_; }
  // After Trainer::run() returned.
  void finish(int64_t step, const std::string& ending) { loop_->finish(step, ending); }

 private:
  // Declaration order is destruction order in reverse: servers go before what they borrow.
  std::unique_ptr<LimitedLog> connection_log_;  // the servers' refused connections
  std::unique_ptr<TrainingMetrics> metrics_;
  std::unique_ptr<MetricsExposer> exposer_;
  std::optional<Authenticator> auth_;
  std::unique_ptr<CommandQueue> queue_;
  std::unique_ptr<StatusBoard> board_;
  std::unique_ptr<WatchSlots> watches_;
  std::unique_ptr<ControlLoop> loop_;
  std::unique_ptr<ControlService> service_;
  std::unique_ptr<ControlServer> server_;
};

}  // namespace tf::control
