// The TrainingControl gRPC service. Handlers run on gRPC's threads: they authenticate, validate
// and queue commands, read the StatusBoard, and never touch tensors. A mutating handler blocks
// until the training loop has applied its command (or refused it, or the run ended); a command
// whose client has given up meanwhile is still applied.
// Borrows everything it is given; those must outlive the server that runs this service.
#pragma once

#include <functional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "core/log.h"
#include "launcher/control/auth.h"
#include "launcher/control/command_queue.h"
#include "launcher/control/log_limiter.h"
#include "launcher/control/status_board.h"
#include "launcher/control/watch_slots.h"
#include "tokenformer/control/v1/control.grpc.pb.h"

namespace tf::control {

// Called once per finished call with the method name ("Pause") and the returned code.
using ReplyRecorder = std::function<void(const std::string& method, grpc::StatusCode code)>;

class ControlService final : public v1::TrainingControl::Service {
 public:
  // Refused calls are logged at a bounded rate (LogLimiter), every call is recorded. `clock`: the
  // limiter's (tests inject their own).
  ControlService(const Authenticator& auth, CommandQueue& queue, StatusBoard& board,
                 WatchSlots& watches, const Logger& log, ReplyRecorder record,
                 std::function<LogLimiter::Clock::time_point()> clock = LogLimiter::Clock::now);

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::Status* reply) override;
  grpc::Status WatchProgress(grpc::ServerContext* context, const v1::WatchProgressRequest* request,
                             grpc::ServerWriter<v1::ProgressEvent>* writer) override;
  grpc::Status ScaleUp(grpc::ServerContext* context, const v1::ScaleUpRequest* request,
                       v1::CommandReply* reply) override;
  grpc::Status SaveCheckpoint(grpc::ServerContext* context,
                              const v1::SaveCheckpointRequest* request,
                              v1::CommandReply* reply) override;
  grpc::Status Pause(grpc::ServerContext* context, const v1::PauseRequest* request,
                     v1::CommandReply* reply) override;
  grpc::Status Resume(grpc::ServerContext* context, const v1::ResumeRequest* request,
                      v1::CommandReply* reply) override;
  grpc::Status Stop(grpc::ServerContext* context, const v1::StopRequest* request,
                    v1::CommandReply* reply) override;

 private:
  // Authenticates, refuses an invalid request (`validity`), queues `command`, waits for its
  // outcome, fills `reply`, logs and records.
  grpc::Status mutate(grpc::ServerContext* context, const std::string& method,
                      const v1::Command& command, v1::CommandReply* reply,
                      const grpc::Status& validity = grpc::Status::OK);
  grpc::Status finish(grpc::ServerContext* context, const std::string& method,
                      const grpc::Status& status);

  const Authenticator& auth_;
  CommandQueue& queue_;
  StatusBoard& board_;
  WatchSlots& watches_;
  const Logger& log_;
  ReplyRecorder record_;
  LimitedLog refusal_log_;
};

}  // namespace tf::control
