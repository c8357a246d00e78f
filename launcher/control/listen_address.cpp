#include "launcher/control/listen_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace tf::control {

namespace {

// The HOST of HOST:PORT (`colon`: the last colon), without the brackets of [v6].
std::string host_of(const std::string& address, size_t colon) {
  const std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

enum class Reach { kLoopback, kEveryInterface, kNetwork };

Reach reach_of(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const uint32_t host = ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr);
    if (host == INADDR_ANY) return Reach::kEveryInterface;
    return (host >> 24) == 127 ? Reach::kLoopback : Reach::kNetwork;
  }
  if (address->sa_family != AF_INET6) return Reach::kNetwork;
  const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
  if (IN6_IS_ADDR_UNSPECIFIED(&v6)) return Reach::kEveryInterface;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return Reach::kLoopback;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return v6.s6_addr[12] == 127 ? Reach::kLoopback : Reach::kNetwork;
  return Reach::kNetwork;
}

}  // namespace

ResolvedAddress resolve_listen_address(const std::string& key, const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    throw Error(key + ": '" + address + "' is not HOST:PORT (for example 127.0.0.1:7000)");
  }
  const std::string host = host_of(address, colon);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = address.substr(colon + 1);
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    throw Error(key + ": cannot resolve '" + address + "': " + gai_strerror(rc));
  }
  ResolvedAddress resolved;
  std::memcpy(&resolved.storage, found->ai_addr, found->ai_addrlen);
  resolved.length = found->ai_addrlen;
  resolved.ipv6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);
  return resolved;
}

bool is_loopback(const std::string& address) {
  if (address.rfind("unix:", 0) == 0) return true;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string host = host_of(address, colon);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  bool loopback = found != nullptr;
  for (const addrinfo* entry = found; entry; entry = entry->ai_next) {
    loopback &= reach_of(entry->ai_addr) == Reach::kLoopback;
  }
  freeaddrinfo(found);
  return loopback;
}

void check_can_listen(const std::string& key, const std::string& address) {
  if (address.rfind("unix:", 0) == 0) {
    const std::filesystem::path socket_path = address.substr(5);
    const std::filesystem::path dir =
        socket_path.has_parent_path() ? socket_path.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(dir)) {
      throw Error(key + ": cannot listen on '" + address + "': " + dir.string() +
                  " is not a directory");
    }
    return;
  }
  const ResolvedAddress where = resolve_listen_address(key, address);
  const int fd = ::socket(where.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Error(key + ": cannot open a socket: " + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the listeners do
  const bool bound =
      ::bind(fd, reinterpret_cast<const sockaddr*>(&where.storage), where.length) == 0;
  const int error = errno;
  ::close(fd);
  if (!bound) throw cannot_listen(key, address, error);
}

Error cannot_listen(const std::string& key, const std::string& address, int error) {
  return Error(key + ": cannot listen on '" + address + "': " + std::strerror(error) +
               (error == EADDRINUSE ? " (another process has the port: pick another)" : "") +
               (error == EADDRNOTAVAIL ? " (not an address of this host)" : ""));
}

std::optional<std::string> exposure_warning(const std::string& key, const std::string& address,
                                            bool tls) {
  if (tls || address.rfind("unix:", 0) == 0) return std::nullopt;
  const ResolvedAddress resolved = resolve_listen_address(key, address);
  const Reach reach = reach_of(reinterpret_cast<const sockaddr*>(&resolved.storage));
  if (reach == Reach::kLoopback) return std::nullopt;
  const std::string where =
      reach == Reach::kEveryInterface ? "on every interface" : "from the network";
  if (key.rfind("metrics.", 0) == 0) {
    return key + " " + address + " serves plaintext HTTP " + where +
           ": the run's figures are readable by anyone who reaches it; listen on 127.0.0.1 and "
           "scrape over an SSH tunnel, or keep the port behind a firewall";
  }
  return key + " " + address + " accepts plaintext connections " + where +
         ": anyone who reaches it reads the run's status, and a bearer token sent to it travels "
         "in the clear; listen on a unix: socket or on 127.0.0.1 (reach it over an SSH tunnel), "
         "or set control.tls_cert and control.tls_key";
}

}  // namespace tf::control
