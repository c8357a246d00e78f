// A TCP listener that cannot be flooded: one thread accepts connections and serves them through
// Sessions, with ConnectionGate deciding which connections stay. It never runs out of descriptors
// to accept with (a spare one is given up to accept and close a connection when the process is
// at its open-file limit), so it keeps accepting after any flood, and the bounds keep the
// descriptors its clients hold within the share open_files.h computes.
//
// gRPC's own listener (1.51) has neither connection bounds nor a recovery from a failed accept4
// (EMFILE stops it for good), and libmicrohttpd closes only connections idle for its whole
// timeout, so a client that drips one header byte at a time holds its slot: hence this class in
// front of both (ControlServer relays to gRPC over a private unix socket; MetricsExposer answers
// scrapes itself).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "launcher/control/connection_gate.h"

namespace tf::control {

// One accepted connection. Owns its descriptors (closes them in the destructor). Called on the
// listener's thread only.
class Session {
 public:
  struct Want {
    int fd = -1;
    bool read = false;
    bool write = false;
  };
  virtual ~Session() = default;
  // The descriptors to wait on now, and for what.
  virtual std::vector<Want> wants() const = 0;
  // `fd` is ready (or failed: `readable` is set then, so that the read sees the error). False:
  // the session is over.
  virtual bool on_ready(int fd, bool readable, bool writable) = 0;
  // Whether the client has spoken the protocol (ConnectionGate::established).
  virtual bool established() const = 0;
};

struct Client {
  std::string host;  // "127.0.0.1", "::1": what the per-client bound counts
  std::string peer;  // "ipv4:127.0.0.1:50312", as gRPC names peers
};

// Makes the session of a newly accepted (non-blocking) socket; nullptr refuses it (the listener
// closes the socket).
using SessionFactory = std::function<std::unique_ptr<Session>(int fd, const Client& client)>;
// Receives one line per refused connection or failed accept (the caller rate-limits).
using ListenerNote = std::function<void(const std::string&)>;

class GuardedListener {
 public:
  // Listens on `address` (HOST:PORT, :PORT; port 0: the system picks) and starts the thread.
  // Throws tf::Error naming `key` when the address cannot be bound.
  GuardedListener(const std::string& key, const std::string& address, GateLimits limits,
                  SessionFactory factory, ListenerNote note);
  // Stops accepting, lets open sessions finish for up to a second, then closes what is left.
  ~GuardedListener();
  GuardedListener(const GuardedListener&) = delete;
  GuardedListener& operator=(const GuardedListener&) = delete;

  int port() const { return port_; }
  const GateLimits& limits() const { return gate_.limits(); }

 private:
  void serve();
  void accept_all();
  void admit(int fd, const Client& client);
  void close_session(uint64_t id);

  ConnectionGate gate_;
  SessionFactory factory_;
  ListenerNote note_;
  int listen_fd_ = -1;
  int spare_fd_ = -1;  // given up to accept (and close) a connection at the open-file limit
  int wake_fd_ = -1;   // eventfd: the destructor's stop signal
  int port_ = 0;
  std::map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tf::control
