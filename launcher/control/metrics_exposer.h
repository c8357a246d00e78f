// Owns the HTTP server that serves GET /metrics on metrics.address (world rank 0 only; port 0: the
// system picks one, see port()) in the Prometheus text format.
//
// The server is a GuardedListener (guarded_listener.h) with one thread: a scrape never waits
// behind slow or idle clients, because a newcomer beyond the connection bound pushes out a
// connection that has not yet sent a whole request, and a request must arrive whole within
// kRequestSeconds. Each connection answers one request and closes. prometheus-cpp keeps the
// registry (thread-safe) and the text format; its own exposer (civetweb) is not used: it gives its
// threads a fixed stack of about 100 KiB, too small for the static TLS of libcudart, libnccl or
// OpenBLAS, and would not start.
//
// The destructor stops the thread and does not throw.
#pragma once

#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>

#include "launcher/control/guarded_listener.h"

namespace tf::control {

constexpr int kRequestSeconds = 2;
constexpr size_t kMaxRequestHeaderBytes = 8192;

// The reply to one HTTP request (head: its request line and headers, as received); `scrape` makes
// the body of GET /metrics.
std::string metrics_http_reply(const std::string& head, const std::function<std::string()>& scrape);

class MetricsExposer {
 public:
  // Throws tf::Error naming metrics.address when `address` ("HOST:PORT") cannot be resolved or
  // bound. `max_connections`: connections at once (also from one client).
  MetricsExposer(const std::string& address, std::shared_ptr<prometheus::Registry> registry,
                 size_t max_connections, ListenerNote note);

  int port() const { return listener_->port(); }
  // The body of one scrape (what GET /metrics returns).
  std::string scrape() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<GuardedListener> listener_;
};

}  // namespace tf::control
