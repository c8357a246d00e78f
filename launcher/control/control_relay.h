// The sessions of control.address: each TCP connection is relayed, byte for byte, to the gRPC
// server's private unix socket (TLS, when configured, runs end to end through the relay). The
// relay's end of the unix connection is bound to an abstract name that carries the TCP peer, so
// that the server still logs and counts callers by their address (client_address()).
#pragma once

#include <memory>
#include <string>

#include <grpcpp/server_context.h>

#include "launcher/control/guarded_listener.h"

namespace tf::control {

// Sessions relaying to the unix socket at `socket_path`.
SessionFactory relay_to(const std::string& socket_path);

// The caller of a call: "ipv4:127.0.0.1:50312" for one relayed from TCP, "local" for one on the
// unix socket, else gRPC's peer name.
std::string client_address(const grpc::ServerContext& context);
// The host part of client_address(): what per-client bounds count.
std::string client_host(const std::string& address);

}  // namespace tf::control
