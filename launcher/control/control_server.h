// Owns the running gRPC server of the control API (world rank 0 only). Starts in the
// constructor, listens on control.address (port 0: the system picks one, see port()), with TLS
// when control.tls_cert/tls_key are set. The destructor cancels in-flight calls after a short
// grace period and joins gRPC's threads; it does not throw.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "core/config.h"

namespace tf::control {

class ControlServer {
 public:
  // `service` is borrowed and must outlive this object. Throws tf::Error when the address cannot
  // be bound or the TLS files are refused (tls_files.h).
  ControlServer(const ControlConfig& config, grpc::Service& service);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:41234": the configured host with the bound port.
  const std::string& address() const { return address_; }
  bool uses_tls() const { return uses_tls_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;
  bool uses_tls_ = false;
};

}  // namespace tf::control
