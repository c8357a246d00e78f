#include "launcher/control/guarded_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "core/error.h"
#include "launcher/control/listen_address.h"

namespace tf::control {
namespace {

// How often overdue connections are looked for when nothing else happens.
constexpr int kSweepMillis = 100;
// How long the destructor lets open sessions finish passing on what they hold (a reply the server
// sent as it shut down).
constexpr std::chrono::milliseconds kDrain{1000};
// Connections accepted per wake-up, so that a flood cannot starve the sessions' traffic.
constexpr int kAcceptBurst = 64;

Client client_of(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  Client client;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    client.host = text;
    client.peer = "ipv4:" + client.host + ":" + std::to_string(ntohs(v4.sin_port));
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    client.host = text;
    client.peer = "ipv6:[" + client.host + "]:" + std::to_string(ntohs(v6.sin6_port));
  } else {
    client.host = client.peer = "unknown";
  }
  return client;
}

int open_spare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

GuardedListener::GuardedListener(const std::string& key, const std::string& address,
                                 GateLimits limits, SessionFactory factory, ListenerNote note)
    : gate_(limits), factory_(std::move(factory)), note_(std::move(note)) {
  const ResolvedAddress where = resolve_listen_address(key, address);
  listen_fd_ = ::socket(where.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw Error(key + ": cannot open a socket: " + std::strerror(errno));
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&where.storage), where.length) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    const int error = errno;
    ::close(listen_fd_);
    throw cannot_listen(key, address, error);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                            : reinterpret_cast<sockaddr_in&>(bound).sin_port);
  spare_fd_ = open_spare();
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(listen_fd_);
    throw Error(key + ": cannot create an eventfd: " + std::strerror(errno));
  }
  thread_ = std::thread([this] { serve(); });
}

GuardedListener::~GuardedListener() {
  stopping_ = true;
  const uint64_t one = 1;
  if (::write(wake_fd_, &one, sizeof one) < 0) {
    // The poll below wakes within kSweepMillis anyway.
  }
  thread_.join();
  sessions_.clear();
  ::close(listen_fd_);
  ::close(wake_fd_);
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

void GuardedListener::close_session(uint64_t id) {
  sessions_.erase(id);
  gate_.remove(id);
}

void GuardedListener::admit(int fd, const Client& client) {
  const auto now = ConnectionGate::Clock::now();
  const ConnectionGate::Decision decision = gate_.admit(client.host, now);
  if (!decision.admit) {
    ::close(fd);
    if (note_) note_("refused a connection from " + client.peer + ": " + decision.refusal);
    return;
  }
  if (decision.evict) close_session(*decision.evict);
  std::unique_ptr<Session> session = factory_(fd, client);
  if (!session) return;  // the factory closed it
  sessions_[gate_.add(client.host, now)] = std::move(session);
}

void GuardedListener::accept_all() {
  for (int i = 0; i < kAcceptBurst; ++i) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      admit(fd, client_of(address));
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
      // At the open-file limit: take the connection off the queue and close it, or the listening
      // socket stays readable and the queue full for good.
      ::close(spare_fd_);
      const int dropped = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (dropped >= 0) ::close(dropped);
      spare_fd_ = open_spare();
      if (note_) {
        note_("refused a connection: the process is at its open-file limit (" +
              std::string(std::strerror(EMFILE)) + ")");
      }
      continue;
    }
    return;  // EAGAIN, or an error the next wake-up retries
  }
}

void GuardedListener::serve() {
  std::vector<pollfd> polled;
  std::vector<uint64_t> owner;  // the session of each polled descriptor (0: listener, wake)
  std::optional<ConnectionGate::Clock::time_point> drain_until;
  for (;;) {
    if (stopping_ && !drain_until) drain_until = ConnectionGate::Clock::now() + kDrain;
    if (drain_until && (sessions_.empty() || ConnectionGate::Clock::now() >= *drain_until)) break;
    // While draining the listening socket and the wake-up are left out (fd -1: ignored).
    polled.assign(
        {{drain_until ? -1 : listen_fd_, POLLIN, 0}, {drain_until ? -1 : wake_fd_, POLLIN, 0}});
    owner.assign({0, 0});
    for (const auto& [id, session] : sessions_) {
      for (const Session::Want& want : session->wants()) {
        const short events =
            static_cast<short>((want.read ? POLLIN : 0) | (want.write ? POLLOUT : 0));
        polled.push_back({want.fd, events, 0});
        owner.push_back(id);
      }
    }
    if (::poll(polled.data(), polled.size(), kSweepMillis) < 0 && errno != EINTR) break;
    const auto now = ConnectionGate::Clock::now();
    for (size_t i = 2; i < polled.size(); ++i) {
      const short got = polled[i].revents;
      if (got == 0) continue;
      const auto found = sessions_.find(owner[i]);
      if (found == sessions_.end()) continue;  // closed earlier in this round
      const bool failed = (got & (POLLERR | POLLHUP | POLLNVAL)) != 0;
      if (!found->second->on_ready(polled[i].fd, (got & POLLIN) || failed, got & POLLOUT)) {
        close_session(owner[i]);
        continue;
      }
      gate_.activity(owner[i], now);
      if (found->second->established()) gate_.established(owner[i]);
    }
    for (const uint64_t id : gate_.overdue(now)) close_session(id);
    if (polled[0].revents & POLLIN) accept_all();
  }
}

}  // namespace tf::control
