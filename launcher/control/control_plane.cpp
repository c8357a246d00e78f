#include "launcher/control/control_plane.h"

#include <algorithm>

#include "launcher/control/listen_address.h"
#include "launcher/control/status_code_name.h"
#include "launcher/open_files.h"

namespace tf::control {
namespace {

constexpr uint64_t kMetricsConnections = 32;
constexpr int64_t kThreadsBesidesWatches = 16;

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

ServerBounds server_bounds(const ControlConfig& control, uint64_t files_for_clients) {
  // A relayed control connection holds three descriptors (the client's socket and both ends of the
  // unix connection to gRPC), a scrape one; each server may use half the share.
  const uint64_t half = files_for_clients / 2;
  ServerBounds bounds;
  bounds.control.total = static_cast<size_t>(
      std::max<uint64_t>(1, std::min<uint64_t>(control.max_connections, half / 3)));
  bounds.control.per_client = std::min<size_t>(
      bounds.control.total, static_cast<size_t>(control.max_connections_per_client));
  bounds.metrics_connections =
      static_cast<size_t>(std::max<uint64_t>(1, std::min<uint64_t>(kMetricsConnections, half)));
  // Every watch stream holds a thread; mutating calls wait for a step boundary on theirs.
  bounds.threads = static_cast<int>(2 * control.max_watches + kThreadsBesidesWatches);
  return bounds;
}

ControlPlane::ControlPlane(const Config& config, ParallelContext& context, const Logger& log,
                           ControlActions actions, RankPlacement here) {
  const bool primary = context.world_rank() == 0;
  const OpenFileLimit files = current_open_file_limit();
  const uint64_t in_use = open_file_count();
  const ServerBounds bounds = server_bounds(config.control, files_for_clients(files, in_use));
  connection_log_ = std::make_unique<LimitedLog>(log, "control and metrics", "connection refusal");
  LimitedLog* limited = connection_log_.get();
  const ListenerNote note = [limited](const std::string& line) { limited->line(line); };
  if (primary && !config.metrics.address.empty()) {
    metrics_ = std::make_unique<TrainingMetrics>(config, context);
    exposer_ = std::make_unique<MetricsExposer>(
        config.metrics.address, metrics_->registry(), bounds.metrics_connections,
        [note](const std::string& line) { note("metrics: " + line); });
    log.info("metrics: serving http://" +
             config.metrics.address.substr(0, config.metrics.address.rfind(':')) + ":" +
             std::to_string(exposer_->port()) + "/metrics");
    warn_if_exposed(log, "metrics.address", config.metrics.address, false);
  }
  const bool serve = primary && (!config.control.address.empty() || !config.control.socket.empty());
  if (serve) {
    auth_.emplace(Authenticator::from_config(config.control));
    queue_ = std::make_unique<CommandQueue>();
    board_ = std::make_unique<StatusBoard>(initial_status(context, actions));
    watches_ = std::make_unique<WatchSlots>(config.control.max_watches,
                                            config.control.max_watches_per_client);
  }
  loop_ = std::make_unique<ControlLoop>(config, context, log, std::move(actions), queue_.get(),
                                        board_.get(), metrics_.get(), std::move(here));
  if (!serve) return;
  TrainingMetrics* metrics = metrics_.get();
  service_ = std::make_unique<ControlService>(
      *auth_, *queue_, *board_, *watches_, log,
      [metrics](const std::string& method, grpc::StatusCode code) {
        if (metrics) metrics->on_control_reply(method, status_code_name(code));
      });
  server_ = std::make_unique<ControlServer>(
      config.control, *service_, bounds.control, bounds.threads,
      [note](const std::string& line) { note("control: " + line); });
  const std::string token = auth_->has_token()
                                ? "; mutating calls need the bearer token"
                                : "; no token configured: mutating calls are refused";
  if (!server_->address().empty()) {
    log.info("control: listening on " + server_->address() +
             (server_->uses_tls() ? " (TLS)" : " (plaintext)") + token);
  }
  if (!server_->socket_path().empty()) {
    log.info("control: unix socket " + server_->socket_path() + " (mode 0600)" +
             (server_->address().empty() ? token : ""));
  }
  log.info(
      format("control: at most %zu TCP connections (%zu per client), %lld watch streams "
             "with the token and %lld without (%lld per client), %d server threads; metrics: "
             "at most %zu connections; open files: %llu in use of %llu, %llu kept for the run",
             bounds.control.total, bounds.control.per_client,
             static_cast<long long>(config.control.max_watches),
             static_cast<long long>(config.control.max_watches),
             static_cast<long long>(config.control.max_watches_per_client), bounds.threads,
             bounds.metrics_connections, static_cast<unsigned long long>(in_use),
             static_cast<unsigned long long>(files.soft),
             static_cast<unsigned long long>(kFilesKeptForTheRun)));
  if (server_->port() != 0) {
    warn_if_exposed(log, "control.address", config.control.address, server_->uses_tls());
  }
}

ControlPlane::~ControlPlane() {
  if (queue_) queue_->close("the run is shutting down");
  if (board_) board_->finish();
}

}  // namespace tf::control
