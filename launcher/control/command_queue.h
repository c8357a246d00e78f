// A one-slot mailbox between the gRPC handler threads (which submit commands and wait for their
// outcome) and the training thread of world rank 0 (which takes them at step boundaries).
// One command at a time: a submit while another command is pending or being applied is refused
// at once with FAILED_PRECONDITION, so two requests never interleave. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <grpcpp/support/status.h>

#include "tokenformer/control/v1/control.pb.h"

namespace tf::control {

namespace v1 = ::tokenformer::control::v1;

struct Outcome {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  int64_t step = 0;  // steps taken when the command was applied
};

class CommandQueue {
 public:
  // Handler threads. Blocks until the training thread completes the command, or the queue is
  // closed (UNAVAILABLE). `name` describes it in refusals of other requests ("Pause").
  Outcome submit(const v1::Command& command, const std::string& name);

  // Training thread. Waits up to `timeout` for a submitted command that has not been taken yet;
  // returns it serialized, or nullopt. The taker must then call complete() exactly once.
  std::optional<std::string> take(std::chrono::milliseconds timeout);
  void complete(const Outcome& outcome);

  // Training thread, when the run ends: refuses the pending and all later submits with
  // UNAVAILABLE and `reason`.
  void close(const std::string& reason);

 private:
  enum class Slot { kEmpty, kSubmitted, kTaken, kDone };

  std::mutex mutex_;
  std::condition_variable changed_;
  Slot slot_ = Slot::kEmpty;
  v1::Command command_;
  std::string name_;
  Outcome outcome_;
  bool closed_ = false;
  std::string close_reason_;
};

}  // namespace tf::control
