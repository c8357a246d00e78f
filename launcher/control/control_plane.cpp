#include "launcher/control/control_plane.h"

#include "launcher/control/listen_address.h"
#include "launcher/control/status_code_name.h"

namespace tf::control {
namespace {

v1::Status initial_status(const ParallelContext& context, const ControlActions& actions) {
  v1::Status status;
  status.set_state(v1::RUN_STATE_RUNNING);
  status.set_world_size(context.world_size());
  status.set_layout(context.describe());
  status.mutable_capabilities()->set_scale_up(true);
  status.mutable_capabilities()->set_save_checkpoint(static_cast<bool>(actions.save_checkpoint));
  return status;
}

void warn_if_exposed(const Logger& log, const std::string& key, const std::string& address,
                     bool tls) {
  if (const auto warning = exposure_warning(key, address, tls)) log.info("warning: " + *warning);
}

}  // namespace

ControlPlane::ControlPlane(const Config& config, ParallelContext& context, const Logger& log,
                           ControlActions actions, RankPlacement here) {
  const bool primary = context.world_rank() == 0;
  if (primary && !config.metrics.address.empty()) {
    metrics_ = std::make_unique<TrainingMetrics>(config, context);
    exposer_ = std::make_unique<MetricsExposer>(config.metrics.address, metrics_->registry());
    log.info("metrics: serving http://" +
             config.metrics.address.substr(0, config.metrics.address.rfind(':')) + ":" +
             std::to_string(exposer_->port()) + "/metrics");
    warn_if_exposed(log, "metrics.address", config.metrics.address, false);
  }
  const bool serve = primary && !config.control.address.empty();
  if (serve) {
    auth_.emplace(Authenticator::from_config(config.control));
    queue_ = std::make_unique<CommandQueue>();
    board_ = std::make_unique<StatusBoard>(initial_status(context, actions));
  }
  loop_ = std::make_unique<ControlLoop>(config, context, log, std::move(actions), queue_.get(),
                                        board_.get(), metrics_.get(), std::move(here));
  if (!serve) return;
  TrainingMetrics* metrics = metrics_.get();
  service_ = std::make_unique<ControlService>(
      *auth_, *queue_, *board_, log, [metrics](const std::string& method, grpc::StatusCode code) {
        if (metrics) metrics->on_control_reply(method, status_code_name(code));
      });
  server_ = std::make_unique<ControlServer>(config.control, *service_);
  log.info("control: listening on " + server_->address() +
           (server_->uses_tls() ? " (TLS)" : " (plaintext)") +
           (auth_->has_token() ? "; mutating calls need the bearer token"
                               : "; no token configured: mutating calls are refused"));
  warn_if_exposed(log, "control.address", config.control.address, server_->uses_tls());
}

ControlPlane::~ControlPlane() {
  if (queue_) queue_->close("the run is shutting down");
  if (board_) board_->finish();
}

}  // namespace tf::control
