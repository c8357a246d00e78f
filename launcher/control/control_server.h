// Owns the running gRPC server of the control API (world rank 0 only). gRPC itself listens on unix
// sockets only, in a private directory (private_dir.h):
//   - control.socket (plaintext, mode 0600): the way in for tf-ctl on the same host;
//   - a relay socket beside it, with TLS when control.tls_cert/tls_key are set, behind the
//     GuardedListener that serves control.address (TCP; port 0: the system picks one, see port())
//     with bounded connections.
// A control.address of the form unix:PATH is served by gRPC directly, as given.
// gRPC's limits: requests up to kMaxRequestBytes, kMaxStreamsPerConnection streams per connection,
// at most `max_threads` threads (calls beyond get RESOURCE_EXHAUSTED), connections without calls
// closed after a minute. The destructor cancels in-flight calls after a short grace period and
// joins every thread; it does not throw.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "core/config.h"
#include "launcher/control/guarded_listener.h"

namespace tf::control {

constexpr int kMaxRequestBytes = 64 * 1024;
constexpr int kMaxStreamsPerConnection = 32;

class ControlServer {
 public:
  // `service` is borrowed and must outlive this object. Throws tf::Error when an address cannot be
  // bound, the socket directory is not private, or the TLS files are refused (tls_files.h).
  ControlServer(const ControlConfig& config, grpc::Service& service, const GateLimits& tcp,
                int max_threads, ListenerNote note);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // The TCP port of control.address (0: none).
  int port() const { return listener_ ? listener_->port() : 0; }
  // "127.0.0.1:41234" (the configured host with the bound port), "unix:PATH", or "" for none.
  const std::string& address() const { return address_; }
  // control.socket resolved ("" for none).
  const std::string& socket_path() const { return socket_path_; }
  bool uses_tls() const { return uses_tls_; }
  const GateLimits* tcp_limits() const { return listener_ ? &listener_->limits() : nullptr; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<GuardedListener> listener_;
  std::string address_, socket_path_, relay_path_;
  bool uses_tls_ = false;
};

}  // namespace tf::control
