#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "launcher/control/guarded_listener.h"
#include "launcher/open_files.h"

namespace tf::control {
namespace {

// Answers "ok" to the first byte it reads, then ends.
class Echo final : public Session {
 public:
  explicit Echo(int fd) : fd_(fd) {}
  ~Echo() override { close(fd_); }
  std::vector<Want> wants() const override { return {{fd_, !read_, read_}}; }
  bool on_ready(int, bool readable, bool writable) override {
    char byte;
    if (readable && !read_) {
      const ssize_t got = recv(fd_, &byte, 1, 0);
      if (got <= 0) return got < 0 && errno == EAGAIN;
      read_ = true;
    } else if (writable) {
      send(fd_, "ok", 2, MSG_NOSIGNAL);
      return false;
    }
    return true;
  }
  bool established() const override { return read_; }

 private:
  int fd_;
  bool read_ = false;
};

SessionFactory echo() {
  return [](int fd, const Client&) { return std::make_unique<Echo>(fd); };
}

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(static_cast<uint16_t>(port));
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  timeval wait{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  return fd;
}

bool served(int port) {
  const int fd = connect_to(port);
  if (fd < 0) return false;
  char reply[3] = {};
  const bool ok = send(fd, "x", 1, MSG_NOSIGNAL) == 1 && recv(fd, reply, 2, MSG_WAITALL) == 2 &&
                  std::string(reply) == "ok";
  close(fd);
  return ok;
}

GateLimits small() {
  GateLimits limits;
  limits.total = 4;
  limits.per_client = 4;
  return limits;
}

TEST(GuardedListener, IdleConnectionsBeyondTheBoundDelayNoClient) {
  std::vector<std::string> notes;
  GuardedListener listener("test.address", "127.0.0.1:0", small(), echo(), {});
  std::vector<int> idle;
  for (int i = 0; i < 30; ++i) idle.push_back(connect_to(listener.port()));
  EXPECT_TRUE(served(listener.port()));
  for (const int fd : idle) close(fd);
}

// At the open-file limit the listener drops what it cannot hold, and serves again once
// descriptors are free: it never stops accepting (gRPC 1.51's listener does, after EMFILE).
TEST(GuardedListener, KeepsAcceptingAfterTheOpenFileLimitWasReached) {
  EXPECT_EXIT(
      {
        GateLimits many = small();
        many.total = many.per_client = 1000;
        GuardedListener listener("test.address", "127.0.0.1:0", many, echo(), {});
        rlimit low{};
        getrlimit(RLIMIT_NOFILE, &low);
        low.rlim_cur = open_file_count() + 40;
        setrlimit(RLIMIT_NOFILE, &low);
        // This process's own client ends use descriptors too: open until connect fails or 150.
        std::vector<int> flood;
        for (int i = 0; i < 150; ++i) {
          const int fd = connect_to(listener.port());
          if (fd < 0) break;
          flood.push_back(fd);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        for (const int fd : flood) close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::exit(served(listener.port()) && flood.size() > 20 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(GuardedListener, RefusesAnAddressInUse) {
  GuardedListener first("test.address", "127.0.0.1:0", small(), echo(), {});
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  EXPECT_THROW(GuardedListener("test.address", taken, small(), echo(), {}), std::exception);
}

}  // namespace
}  // namespace tf::control
