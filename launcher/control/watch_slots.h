// Bounds on WatchProgress streams, each of which holds one server thread while it lasts. Callers
// with the token and callers without it draw on separate pools of `per_pool` streams, so that
// strangers, who may watch (docs/operations.md says why), can never hold the slots an operator
// needs; without the token one client address holds at most `per_client` of its pool.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace tf::control {

class WatchSlots {
 public:
  WatchSlots(size_t per_pool, size_t per_client) : per_pool_(per_pool), per_client_(per_client) {}

  // Takes a slot, or returns why not (with the figures) for a RESOURCE_EXHAUSTED reply.
  std::optional<std::string> take(const std::string& client, bool with_token);
  void give_back(const std::string& client, bool with_token);

  size_t held(bool with_token) const;

 private:
  const size_t per_pool_, per_client_;
  mutable std::mutex mutex_;
  size_t held_[2] = {0, 0};                  // [with_token]
  std::map<std::string, size_t> by_client_;  // streams without the token, per client address
};

// Holds one slot for a scope.
class WatchSlot {
 public:
  WatchSlot(WatchSlots& slots, std::string client, bool with_token)
      : slots_(slots), client_(std::move(client)), with_token_(with_token) {}
  ~WatchSlot() { slots_.give_back(client_, with_token_); }
  WatchSlot(const WatchSlot&) = delete;
  WatchSlot& operator=(const WatchSlot&) = delete;

 private:
  WatchSlots& slots_;
  std::string client_;
  bool with_token_;
};

}  // namespace tf::control
