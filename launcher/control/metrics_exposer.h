// Owns the HTTP server (prometheus-cpp's Exposer, with its own threads) that serves /metrics on
// metrics.address (world rank 0 only; port 0: the system picks one, see port()). The registry is
// shared with its writer. Stops serving in the destructor, which does not throw.
#pragma once

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace tf::control {

class MetricsExposer {
 public:
  // Throws tf::Error when `address` ("HOST:PORT") cannot be bound.
  MetricsExposer(const std::string& address, std::shared_ptr<prometheus::Registry> registry);

  int port() const { return port_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;  // the exposer only holds a weak pointer
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace tf::control
