#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/error.h"
#include "launcher/control/metrics_exposer.h"

namespace tf::control {
namespace {

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(static_cast<uint16_t>(port));
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof where), 0);
  return fd;
}

// One HTTP/1.0 request to 127.0.0.1:port; the whole response (status line, headers, body).
std::string http(int port, const std::string& request_line) {
  const int fd = connect_to(port);
  const std::string request = request_line + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
  close(fd);
  return response;
}

// This binary links LibTorch's CUDA build with libcudart, libnccl and the rest of their static TLS,
// which made the civetweb exposer fail to create its threads (as OpenBLAS's 60 KiB did before).
TEST(MetricsExposer, ServesTheRegistryOnAnEphemeralPort) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& steps = prometheus::BuildCounter()
                    .Name("tokenformer_test_steps_total")
                    .Help("steps")
                    .Register(*registry)
                    .Add({});
  steps.Increment(41);
  MetricsExposer exposer("127.0.0.1:0", registry, 8, {});
  ASSERT_GT(exposer.port(), 0);
  steps.Increment();
  const std::string response = http(exposer.port(), "GET /metrics");
  EXPECT_EQ(response.rfind("HTTP/1.0 200", 0) == 0 || response.rfind("HTTP/1.1 200", 0) == 0, true)
      << response;
  EXPECT_NE(response.find("Content-Type: text/plain; version=0.0.4"), std::string::npos)
      << response;
  EXPECT_NE(response.find("tokenformer_test_steps_total 42"), std::string::npos) << response;
  EXPECT_EQ(exposer.scrape(), response.substr(response.find("\r\n\r\n") + 4));
}

TEST(MetricsExposer, AnswersOtherPathsAndMethodsWithErrors) {
  MetricsExposer exposer("127.0.0.1:0", std::make_shared<prometheus::Registry>(), 8, {});
  EXPECT_NE(http(exposer.port(), "GET /").find(" 404 "), std::string::npos);
  EXPECT_NE(http(exposer.port(), "DELETE /metrics").find(" 405 "), std::string::npos);
  EXPECT_NE(http(exposer.port(), "GET /metrics?x=1").find(" 200 "), std::string::npos);
  const std::string head = http(exposer.port(), "HEAD /metrics");
  EXPECT_NE(head.find(" 200 "), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "") << head;
  // The server is still up after them.
  EXPECT_NE(http(exposer.port(), "GET /metrics").find(" 200 "), std::string::npos);
}

// Clients that hold every connection slot, idle or sending a header byte at a time, delay no
// scrape: each newcomer pushes out one that has not sent a whole request.
TEST(MetricsExposer, AScrapeNeverWaitsBehindSlowClients) {
  MetricsExposer exposer("127.0.0.1:0", std::make_shared<prometheus::Registry>(), 4, {});
  std::vector<int> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(connect_to(exposer.port()));
    ASSERT_EQ(write(slow.back(), "G", 1), 1);
  }
  for (int round = 0; round < 3; ++round) {
    for (const int fd : slow) {
      if (send(fd, "E", 1, MSG_NOSIGNAL) != 1) {
        // Pushed out already: the send fails (EPIPE) once the server has closed it.
      }
    }
    const auto start = std::chrono::steady_clock::now();
    EXPECT_NE(http(exposer.port(), "GET /metrics").find(" 200 "), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  }
  for (const int fd : slow) close(fd);
}

// A connection that has not sent its request within kRequestSeconds is closed.
TEST(MetricsExposer, ClosesAConnectionThatNeverFinishesItsRequest) {
  MetricsExposer exposer("127.0.0.1:0", std::make_shared<prometheus::Registry>(), 4, {});
  const int fd = connect_to(exposer.port());
  ASSERT_EQ(write(fd, "GET /met", 8), 8);
  const auto start = std::chrono::steady_clock::now();
  char byte;
  EXPECT_EQ(read(fd, &byte, 1), 0);  // the server's close
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, kRequestSeconds - 0.5);
  EXPECT_LT(waited, kRequestSeconds + 1.5);
  close(fd);
}

TEST(MetricsExposer, RefusesAnAddressInUseOrMalformed) {
  MetricsExposer first("127.0.0.1:0", std::make_shared<prometheus::Registry>(), 8, {});
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  try {
    MetricsExposer second(taken, std::make_shared<prometheus::Registry>(), 8, {});
    FAIL() << "bound " << taken << " twice";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.address: cannot listen on '" + taken),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(MetricsExposer("no-port", std::make_shared<prometheus::Registry>(), 8, {}), Error);
  EXPECT_THROW(MetricsExposer("127.0.0.1:http", std::make_shared<prometheus::Registry>(), 8, {}),
               Error);
}

}  // namespace
}  // namespace tf::control
