#include "launcher/control/control_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "launcher/control/control_relay.h"
#include "launcher/control/printable.h"
#include "launcher/control/request_validation.h"
#include "launcher/control/status_code_name.h"

namespace tf::control {
namespace {

// How often a watcher checks whether its client has gone away.
constexpr std::chrono::milliseconds kWatchPoll{200};

// Refusal lines: at most this many per window, so that a flood of bad calls cannot fill the log.
constexpr int64_t kRefusalLines = 10;
constexpr std::chrono::seconds kRefusalWindow{10};
// Bound on the echo of a refusal's message: the messages quote client input only cut (printable).
constexpr size_t kMessageEcho = 512;

std::optional<std::string_view> authorization_of(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find("authorization");
  if (found == metadata.end()) return std::nullopt;
  return std::string_view(found->second.data(), found->second.size());
}

}  // namespace

ControlService::ControlService(const Authenticator& auth, CommandQueue& queue, StatusBoard& board,
                               WatchSlots& watches, const Logger& log, ReplyRecorder record,
                               std::function<LogLimiter::Clock::time_point()> clock)
    : auth_(auth),
      queue_(queue),
      board_(board),
      watches_(watches),
      log_(log),
      record_(std::move(record)),
      refusal_log_(log, "control", "refusal", kRefusalLines, kRefusalWindow, std::move(clock)) {}

grpc::Status ControlService::finish(grpc::ServerContext* context, const std::string& method,
                                    const grpc::Status& status) {
  if (record_) record_(method, status.error_code());
  if (status.ok()) return status;
  refusal_log_.line("control: " + method + " from " + printable(client_address(*context)) +
                    " refused: " + status_code_name(status.error_code()) + ": " +
                    printable(status.error_message(), kMessageEcho));
  return status;
}

grpc::Status ControlService::GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                                       v1::Status* reply) {
  *reply = board_.status();
  return finish(context, "GetStatus", grpc::Status::OK);
}

grpc::Status ControlService::WatchProgress(grpc::ServerContext* context,
                                           const v1::WatchProgressRequest*,
                                           grpc::ServerWriter<v1::ProgressEvent>* writer) {
  const std::string client = client_host(client_address(*context));
  const bool with_token = auth_.check(authorization_of(*context)).ok();
  if (const auto refusal = watches_.take(client, with_token)) {
    return finish(context, "WatchProgress",
                  grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, *refusal));
  }
  const WatchSlot slot(watches_, client, with_token);
  uint64_t seen = board_.last_sequence();
  while (!context->IsCancelled()) {
    const std::optional<v1::ProgressEvent> event = board_.next_event(&seen, kWatchPoll);
    if (event) {
      if (!writer->Write(*event)) break;  // the client went away
    } else if (board_.finished()) {
      break;
    }
  }
  return finish(context, "WatchProgress", grpc::Status::OK);
}

grpc::Status ControlService::mutate(grpc::ServerContext* context, const std::string& method,
                                    const v1::Command& command, v1::CommandReply* reply,
                                    const grpc::Status& validity) {
  // Authentication comes first so that unauthenticated callers learn nothing about requests.
  const grpc::Status allowed = auth_.check(authorization_of(*context));
  if (!allowed.ok()) return finish(context, method, allowed);
  if (!validity.ok()) return finish(context, method, validity);
  const Outcome outcome = queue_.submit(command, method);
  if (outcome.code != grpc::StatusCode::OK) {
    return finish(context, method, grpc::Status(outcome.code, outcome.message));
  }
  reply->set_applied_at_step(outcome.step);
  reply->set_message(outcome.message);
  log_.info("control: " + method + " from " + printable(client_address(*context)) +
            " applied at step " + std::to_string(outcome.step) + ": " + outcome.message);
  return finish(context, method, grpc::Status::OK);
}

grpc::Status ControlService::ScaleUp(grpc::ServerContext* context,
                                     const v1::ScaleUpRequest* request, v1::CommandReply* reply) {
  v1::Command command;
  *command.mutable_scale_up() = *request;
  return mutate(context, "ScaleUp", command, reply, validate(*request));
}

grpc::Status ControlService::SaveCheckpoint(grpc::ServerContext* context,
                                            const v1::SaveCheckpointRequest* request,
                                            v1::CommandReply* reply) {
  v1::Command command;
  *command.mutable_save_checkpoint() = *request;
  return mutate(context, "SaveCheckpoint", command, reply);
}

grpc::Status ControlService::Pause(grpc::ServerContext* context, const v1::PauseRequest* request,
                                   v1::CommandReply* reply) {
  v1::Command command;
  *command.mutable_pause() = *request;
  return mutate(context, "Pause", command, reply);
}

grpc::Status ControlService::Resume(grpc::ServerContext* context, const v1::ResumeRequest* request,
                                    v1::CommandReply* reply) {
  v1::Command command;
  *command.mutable_resume() = *request;
  return mutate(context, "Resume", command, reply);
}

grpc::Status ControlService::Stop(grpc::ServerContext* context, const v1::StopRequest* request,
                                  v1::CommandReply* reply) {
  v1::Command command;
  *command.mutable_stop() = *request;
  return mutate(context, "Stop", command, reply);
}

}  // namespace tf::control
