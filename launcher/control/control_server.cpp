#include "launcher/control/control_server.h"

#include <chrono>

#include "core/error.h"
#include "launcher/control/listen_address.h"
#include "launcher/control/tls_files.h"

namespace tf::control {
namespace {

// Mutating calls wait for a step boundary; on shutdown they get this long to finish.
constexpr std::chrono::seconds kShutdownGrace{2};

}  // namespace

ControlServer::ControlServer(const ControlConfig& config, grpc::Service& service)
    : uses_tls_(!config.tls_cert.empty()) {
  check_can_listen("control.address", config.address);  // our message, not gRPC's log line
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.address, server_credentials(config), &port_);
  builder.RegisterService(&service);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    throw Error("control.address: cannot listen on '" + config.address + "'");
  }
  if (config.address.rfind("unix:", 0) == 0) {
    address_ = config.address;
  } else {
    address_ = config.address.substr(0, config.address.rfind(':')) + ":" + std::to_string(port_);
  }
}

ControlServer::~ControlServer() {
  server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  server_->Wait();
}

}  // namespace tf::control
