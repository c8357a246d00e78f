#include "launcher/control/connection_gate.h"

#include "core/log.h"

namespace tf::control {

size_t ConnectionGate::open_from(const std::string& client) const {
  size_t count = 0;
  for (const auto& [id, connection] : connections_) count += connection.client == client;
  return count;
}

std::optional<uint64_t> ConnectionGate::victim(const std::string& client,
                                               Clock::time_point now) const {
  std::optional<uint64_t> silent, idle;
  Clock::time_point silent_since = Clock::time_point::max(), idle_since = now;
  for (const auto& [id, connection] : connections_) {
    if (!client.empty() && connection.client != client) continue;
    if (!connection.established) {
      if (connection.opened < silent_since) silent = id, silent_since = connection.opened;
    } else if (now - connection.active >= limits_.evict_idle_after &&
               connection.active <= idle_since) {
      idle = id, idle_since = connection.active;
    }
  }
  return silent ? silent : idle;
}

ConnectionGate::Decision ConnectionGate::admit(const std::string& client,
                                               Clock::time_point now) const {
  Decision decision;
  const size_t from_client = open_from(client);
  if (from_client >= limits_.per_client) {
    decision.evict = victim(client, now);
    if (!decision.evict) {
      decision.refusal =
          format("%zu connections from %s are open and active (limit %zu per client)", from_client,
                 client.c_str(), limits_.per_client);
      return decision;
    }
  } else if (connections_.size() >= limits_.total) {
    decision.evict = victim("", now);
    if (!decision.evict) {
      decision.refusal = format("%zu connections are open and active (limit %zu)",
                                connections_.size(), limits_.total);
      return decision;
    }
  }
  decision.admit = true;
  return decision;
}

uint64_t ConnectionGate::add(const std::string& client, Clock::time_point now) {
  const uint64_t id = next_id_++;
  connections_[id] = Connection{client, now, now, false};
  return id;
}

void ConnectionGate::activity(uint64_t id, Clock::time_point now) {
  const auto found = connections_.find(id);
  if (found != connections_.end()) found->second.active = now;
}

void ConnectionGate::established(uint64_t id) {
  const auto found = connections_.find(id);
  if (found != connections_.end()) found->second.established = true;
}

void ConnectionGate::remove(uint64_t id) { connections_.erase(id); }

std::vector<uint64_t> ConnectionGate::overdue(Clock::time_point now) const {
  std::vector<uint64_t> late;
  for (const auto& [id, connection] : connections_) {
    if (!connection.established && now - connection.opened >= limits_.first_bytes) {
      late.push_back(id);
    }
  }
  return late;
}

}  // namespace tf::control
