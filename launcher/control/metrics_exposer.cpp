#include "launcher/control/metrics_exposer.h"

#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace tf::control {
namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string response(int code, const char* reason, const char* type, const std::string& body,
                     bool head_only) {
  std::string text =
      "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Type: " + type +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (!head_only) text += body;
  return text;
}

// One connection: reads a request's head, answers it, closes.
class ScrapeSession final : public Session {
 public:
  ScrapeSession(int fd, const MetricsExposer& exposer) : fd_(fd), exposer_(exposer) {}
  ~ScrapeSession() override { ::close(fd_); }

  std::vector<Want> wants() const override { return {{fd_, reply_.empty(), !reply_.empty()}}; }

  bool on_ready(int, bool readable, bool writable) override {
    if (readable && reply_.empty()) {
      char chunk[4096];
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got == 0) return false;
      if (got < 0) return errno == EAGAIN || errno == EINTR;
      request_.append(chunk, static_cast<size_t>(got));
      const size_t end = request_.find("\r\n\r\n");
      if (end != std::string::npos) {
        const std::string head = request_.substr(0, end);
        reply_ = metrics_http_reply(head, [this] { return exposer_.scrape(); });
      } else if (request_.size() > kMaxRequestHeaderBytes) {
        reply_ = response(431, "Request Header Fields Too Large", "text/plain",
                          "request header too large\n", false);
      }
      return true;
    }
    if (writable && !reply_.empty()) {
      const ssize_t put = ::send(fd_, reply_.data() + sent_, reply_.size() - sent_, MSG_NOSIGNAL);
      if (put < 0) return errno == EAGAIN || errno == EINTR;
      sent_ += static_cast<size_t>(put);
      return sent_ < reply_.size();
    }
    return true;
  }

  bool established() const override { return !reply_.empty(); }

 private:
  int fd_;
  const MetricsExposer& exposer_;
  std::string request_, reply_;
  size_t sent_ = 0;
};

}  // namespace

std::string metrics_http_reply(const std::string& head,
                               const std::function<std::string()>& scrape) {
  const size_t method_end = head.find(' ');
  const size_t path_end = head.find(' ', method_end == std::string::npos ? 0 : method_end + 1);
  if (method_end == std::string::npos || path_end == std::string::npos) {
    return response(400, "Bad Request", "text/plain", "not an HTTP request\n", false);
  }
  const std::string method = head.substr(0, method_end);
  const std::string target = head.substr(method_end + 1, path_end - method_end - 1);
  const std::string path = target.substr(0, target.find('?'));
  const bool head_only = method == "HEAD";
  if (path != "/metrics") {
    return response(404, "Not Found", "text/plain", "only /metrics is served\n", head_only);
  }
  if (method != "GET" && !head_only) {
    return response(405, "Method Not Allowed", "text/plain", "use GET\n", false);
  }
  return response(200, "OK", kContentType, scrape(), head_only);
}

MetricsExposer::MetricsExposer(const std::string& address,
                               std::shared_ptr<prometheus::Registry> registry,
                               size_t max_connections, ListenerNote note)
    : registry_(std::move(registry)) {
  GateLimits limits;
  limits.total = limits.per_client = max_connections;
  limits.first_bytes = std::chrono::seconds(kRequestSeconds);
  limits.evict_idle_after = std::chrono::seconds(kRequestSeconds);
  listener_ = std::make_unique<GuardedListener>(
      "metrics.address", address, limits,
      [this](int fd, const Client&) { return std::make_unique<ScrapeSession>(fd, *this); },
      std::move(note));
}

std::string MetricsExposer::scrape() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace tf::control
