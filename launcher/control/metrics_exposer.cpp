#include "launcher/control/metrics_exposer.h"

#include <exception>

#include "core/error.h"

namespace tf::control {

MetricsExposer::MetricsExposer(const std::string& address,
                               std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    throw Error("metrics.address: cannot listen on '" + address + "': " + e.what());
  }
  exposer_->RegisterCollectable(registry_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  if (!ports.empty()) port_ = ports.front();
}

}  // namespace tf::control
