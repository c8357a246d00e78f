// The run's state as the control API reports it: a Status snapshot and a sequence of progress
// events. Written by the training thread of world rank 0, read by gRPC handler threads.
// Thread-safe; readers never block the writer for longer than a copy.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "tokenformer/control/v1/control.pb.h"

namespace tf::control {

namespace v1 = ::tokenformer::control::v1;

class StatusBoard {
 public:
  explicit StatusBoard(v1::Status initial) : status_(std::move(initial)) {}

  v1::Status status() const;
  // Applies `edit` to the snapshot under the lock.
  void update(const std::function<void(v1::Status&)>& edit);

  // Appends an event for watchers. Events get sequence numbers 1, 2, ...; the last kKeptEvents
  // are kept, so a slow watcher skips what it missed rather than stalling training.
  void publish(const v1::ProgressEvent& event);
  // Next event with a sequence number above `*after` (which is advanced), waiting up to
  // `timeout`. nullopt on timeout or once finish() was called and nothing newer is left.
  std::optional<v1::ProgressEvent> next_event(uint64_t* after, std::chrono::milliseconds timeout);
  uint64_t last_sequence() const;
  // The run is over: watchers drain what is left and end.
  void finish();
  bool finished() const;

 private:
  static constexpr size_t kKeptEvents = 1024;

  mutable std::mutex mutex_;
  std::condition_variable published_;
  v1::Status status_;
  std::deque<v1::ProgressEvent> events_;
  uint64_t last_sequence_ = 0;  // of events_.back()
  bool finished_ = false;
};

}  // namespace tf::control
