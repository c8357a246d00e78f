#include "launcher/control/command_queue.h"

namespace tf::control {

Outcome CommandQueue::submit(const v1::Command& command, const std::string& name) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (closed_) return {grpc::StatusCode::UNAVAILABLE, close_reason_, 0};
  if (slot_ != Slot::kEmpty) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "another request (" + name_ + ") is in progress; retry when it has completed", 0};
  }
  slot_ = Slot::kSubmitted;
  command_ = command;
  name_ = name;
  changed_.notify_all();
  changed_.wait(lock, [&] { return slot_ == Slot::kDone || closed_; });
  Outcome outcome =
      slot_ == Slot::kDone ? outcome_ : Outcome{grpc::StatusCode::UNAVAILABLE, close_reason_, 0};
  slot_ = Slot::kEmpty;
  changed_.notify_all();
  return outcome;
}

std::optional<std::string> CommandQueue::take(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return slot_ == Slot::kSubmitted; })) {
    return std::nullopt;
  }
  slot_ = Slot::kTaken;
  return command_.SerializeAsString();
}

void CommandQueue::complete(const Outcome& outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (slot_ != Slot::kTaken) return;  // closed meanwhile: the submitter already has its answer
  outcome_ = outcome;
  slot_ = Slot::kDone;
  changed_.notify_all();
}

void CommandQueue::close(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  close_reason_ = reason;
  changed_.notify_all();
}

}  // namespace tf::control
