// HOST:PORT addresses the control server and the metrics endpoint listen on: resolved, and tried,
// so that a bad address is refused with our own message naming the config key (before gRPC or
// libmicrohttpd would print theirs), by a dry run as by a real launch.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>

#include "core/error.h"

namespace tf::control {

struct ResolvedAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool ipv6 = false;
};

// `address` as HOST:PORT ([v6]:PORT, or :PORT for every interface); throws tf::Error naming `key`.
ResolvedAddress resolve_listen_address(const std::string& key, const std::string& address);

// The error of a failed bind or listen (`error`: its errno) on `address`, naming `key`.
Error cannot_listen(const std::string& key, const std::string& address, int error);

// Whether a client of `address` (HOST:PORT, unix:PATH) stays on this host: a unix socket, or a host
// whose every resolved address is a loopback one. ":PORT" and unresolvable hosts are not.
bool is_loopback(const std::string& address);

// Binds a socket to `address` and closes it again; throws tf::Error naming `key` and the reason
// (not HOST:PORT, unknown host, in use, not an address of this host). A unix:PATH address needs
// its directory to exist.
void check_can_listen(const std::string& key, const std::string& address);

// The start-up warning for a listener that accepts plaintext from beyond this host, as etcd warns
// for its plaintext listeners: `address` a TCP HOST:PORT whose host is not a loopback address
// (0.0.0.0, ::, :PORT, or any other host than 127.0.0.0/8 and ::1) and `tls` false. Nothing for
// unix: sockets, loopback or TLS. The text names `key` and `address` and what to do instead; for
// a "metrics." key, that the figures are readable by anyone who reaches it. Throws tf::Error as
// resolve_listen_address does.
std::optional<std::string> exposure_warning(const std::string& key, const std::string& address,
                                            bool tls);

}  // namespace tf::control
