// Which TCP connections a server keeps: at most `total` at once and `per_client` from one client
// address. A newcomer beyond a bound takes the place of a connection that has not yet spoken its
// protocol (oldest first), else of one idle for `evict_idle_after` or longer (least recently active
// first); only when neither exists is it refused. So idle or drip-feeding sockets can delay no
// client: each arrival pushes one of them out. Connections that have not spoken within
// `first_bytes` are due to be closed (overdue()).
// Pure bookkeeping: the caller (GuardedListener) owns the sockets. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tf::control {

struct GateLimits {
  size_t total = 64;
  size_t per_client = 16;
  std::chrono::milliseconds first_bytes{5000};
  std::chrono::milliseconds evict_idle_after{10000};
};

class ConnectionGate {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool admit = false;
    std::optional<uint64_t> evict;  // close this one first (then admit)
    std::string refusal;            // why not, with the figures, when !admit
  };

  explicit ConnectionGate(GateLimits limits) : limits_(limits) {}

  Decision admit(const std::string& client, Clock::time_point now) const;
  uint64_t add(const std::string& client, Clock::time_point now);
  void activity(uint64_t id, Clock::time_point now);
  // The connection has spoken its protocol (a whole HTTP request; both sides of a gRPC handshake).
  void established(uint64_t id);
  void remove(uint64_t id);
  // Connections not established within limits().first_bytes of their opening.
  std::vector<uint64_t> overdue(Clock::time_point now) const;

  size_t open() const { return connections_.size(); }
  size_t open_from(const std::string& client) const;
  const GateLimits& limits() const { return limits_; }

 private:
  struct Connection {
    std::string client;
    Clock::time_point opened, active;
    bool established = false;
  };
  // The connection to push out among those `client` names (all when empty), if any may go.
  std::optional<uint64_t> victim(const std::string& client, Clock::time_point now) const;

  GateLimits limits_;
  std::map<uint64_t, Connection> connections_;
  uint64_t next_id_ = 1;
};

}  // namespace tf::control
