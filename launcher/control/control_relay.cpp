#include "launcher/control/control_relay.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tf::control {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;  // per direction
constexpr char kRelayName[] = "tf-relay/";  // abstract names: "tf-relay/PID/PEER"

// Bytes read from one descriptor and not yet written to the other.
struct Pipe {
  std::vector<char> bytes;
  size_t sent = 0;
  bool ended = false;  // the source reached its end
  bool spoke = false;  // the source sent at least one byte

  size_t pending() const { return bytes.size() - sent; }
  bool full() const { return bytes.size() >= kBufferBytes; }

  // False on an error.
  bool fill(int from) {
    char chunk[16384];
    const ssize_t got = ::recv(from, chunk, sizeof chunk, 0);
    if (got > 0) {
      bytes.insert(bytes.end(), chunk, chunk + got);
      spoke = true;
      return true;
    }
    if (got == 0) {
      ended = true;
      return true;
    }
    return errno == EAGAIN || errno == EINTR;
  }

  bool drain(int to) {
    const ssize_t put = ::send(to, bytes.data() + sent, pending(), MSG_NOSIGNAL);
    if (put < 0) return errno == EAGAIN || errno == EINTR;
    sent += static_cast<size_t>(put);
    if (sent == bytes.size()) bytes.clear(), sent = 0;
    return true;
  }
};

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  return address;
}

// Names the relay's end of the unix connection after the TCP peer (best effort).
void bind_peer_name(int fd, const Client& client) {
  const std::string name = kRelayName + std::to_string(::getpid()) + "/" + client.peer;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const size_t size = std::min(name.size(), sizeof address.sun_path - 1);
  std::memcpy(address.sun_path + 1, name.data(), size);  // sun_path[0] == 0: abstract
  ::bind(fd, reinterpret_cast<const sockaddr*>(&address),
         static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + size));
}

// The server's end is opened only once the client has sent its first bytes: a client that
// connects and stays silent costs gRPC nothing (one descriptor here, until it is pushed out).
class RelaySession final : public Session {
 public:
  RelaySession(int client, Client who, std::string socket_path)
      : client_(client), who_(std::move(who)), socket_path_(std::move(socket_path)) {}
  ~RelaySession() override {
    ::close(client_);
    if (upstream_ >= 0) ::close(upstream_);
  }

  std::vector<Want> wants() const override {
    std::vector<Want> wanted{{client_, !up_.ended && !up_.full(), down_.pending() > 0}};
    if (upstream_ >= 0) {
      wanted.push_back({upstream_, !down_.ended && !down_.full(), up_.pending() > 0});
    }
    return wanted;
  }

  bool on_ready(int fd, bool readable, bool writable) override {
    Pipe& in = fd == client_ ? up_ : down_;
    Pipe& out = fd == client_ ? down_ : up_;
    if (readable && !in.ended && !in.full() && !in.fill(fd)) return false;
    if (upstream_ < 0 && up_.spoke && !connect_upstream()) return false;
    if (writable && out.pending() > 0 && !out.drain(fd)) return false;
    // One side has ended and everything it sent has been passed on: the connection is over.
    return !((up_.ended && up_.pending() == 0) || (down_.ended && down_.pending() == 0));
  }

  bool established() const override { return up_.spoke && down_.spoke; }

 private:
  bool connect_upstream() {
    upstream_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (upstream_ < 0) return false;
    bind_peer_name(upstream_, who_);
    const sockaddr_un address = unix_address(socket_path_);
    return ::connect(upstream_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 ||
           errno == EINPROGRESS;
  }

  int client_;
  int upstream_ = -1;
  Client who_;
  std::string socket_path_;
  Pipe up_;    // client to server
  Pipe down_;  // server to client
};

}  // namespace

SessionFactory relay_to(const std::string& socket_path) {
  return [socket_path](int fd, const Client& client) -> std::unique_ptr<Session> {
    return std::make_unique<RelaySession>(fd, client, socket_path);
  };
}

std::string client_address(const grpc::ServerContext& context) {
  const std::string peer = context.peer();
  const std::string relayed = std::string("unix-abstract:") + kRelayName;
  if (peer.rfind(relayed, 0) == 0) {
    const size_t slash = peer.find('/', relayed.size());
    if (slash != std::string::npos) return peer.substr(slash + 1);
  }
  if (peer.rfind("unix:", 0) == 0) return "local";
  return peer;
}

std::string client_host(const std::string& address) {
  if (address.rfind("ipv4:", 0) == 0) return address.substr(5, address.rfind(':') - 5);
  if (address.rfind("ipv6:[", 0) == 0) return address.substr(6, address.rfind(']') - 6);
  return address;
}

}  // namespace tf::control
