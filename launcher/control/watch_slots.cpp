#include "launcher/control/watch_slots.h"

#include "core/log.h"

namespace tf::control {

std::optional<std::string> WatchSlots::take(const std::string& client, bool with_token) {
  const std::lock_guard<std::mutex> lock(mutex_);
  size_t& pool = held_[with_token];
  if (pool >= per_pool_) {
    return format(
        "%zu watch streams %s the token are open (limit %zu, control.max_watches): try "
        "again when one ends",
        pool, with_token ? "with" : "without", per_pool_);
  }
  if (!with_token) {
    size_t& mine = by_client_[client];
    if (mine >= per_client_) {
      return format(
          "%zu watch streams from %s without the token are open (limit %zu per client, "
          "control.max_watches_per_client)",
          mine, client.c_str(), per_client_);
    }
    ++mine;
  }
  ++pool;
  return std::nullopt;
}

void WatchSlots::give_back(const std::string& client, bool with_token) {
  const std::lock_guard<std::mutex> lock(mutex_);
  --held_[with_token];
  if (with_token) return;
  const auto found = by_client_.find(client);
  if (found != by_client_.end() && --found->second == 0) by_client_.erase(found);
}

size_t WatchSlots::held(bool with_token) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return held_[with_token];
}

}  // namespace tf::control
