#include "launcher/control/status_board.h"

#include <algorithm>

namespace tf::control {

v1::Status StatusBoard::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void StatusBoard::update(const std::function<void(v1::Status&)>& edit) {
  std::lock_guard<std::mutex> lock(mutex_);
  edit(status_);
}

void StatusBoard::publish(const v1::ProgressEvent& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(event);
  if (events_.size() > kKeptEvents) events_.pop_front();
  ++last_sequence_;
  published_.notify_all();
}

std::optional<v1::ProgressEvent> StatusBoard::next_event(uint64_t* after,
                                                         std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  published_.wait_for(lock, timeout, [&] { return last_sequence_ > *after || finished_; });
  if (last_sequence_ <= *after) return std::nullopt;
  const uint64_t first_kept = last_sequence_ - events_.size() + 1;
  const uint64_t wanted = std::max(*after + 1, first_kept);
  *after = wanted;
  return events_[wanted - first_kept];
}

uint64_t StatusBoard::last_sequence() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_sequence_;
}

void StatusBoard::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  published_.notify_all();
}

bool StatusBoard::finished() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return finished_;
}

}  // namespace tf::control
