#include "launcher/control/metrics_exposer.h"

#include <microhttpd.h>
#include <prometheus/text_serializer.h>

#include <cstring>

#include "core/error.h"
#include "launcher/control/listen_address.h"

namespace tf::control {
namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr unsigned kConnectionTimeoutSeconds = 10;  // a stalled client cannot hold the thread
constexpr unsigned kConnectionLimit = 16;

enum MHD_Result reply(MHD_Connection* connection, unsigned status, const std::string& body,
                      const char* content_type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  const enum MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued;
}

enum MHD_Result handle(void* self, MHD_Connection* connection, const char* url,
                       const char* method, const char*, const char*, size_t* upload_size,
                       void**) {
  if (*upload_size != 0) {  // a request body: ignore it and answer once it is consumed
    *upload_size = 0;
    return MHD_YES;
  }
  const bool get = std::strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                   std::strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  if (std::strcmp(url, "/metrics") != 0) {
    return reply(connection, MHD_HTTP_NOT_FOUND, "only /metrics is served\n", "text/plain");
  }
  if (!get) return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n", "text/plain");
  return reply(connection, MHD_HTTP_OK, static_cast<const MetricsExposer*>(self)->scrape(),
               kContentType);
}

}  // namespace

MetricsExposer::MetricsExposer(const std::string& address,
                               std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)) {
  const ResolvedAddress where = resolve_listen_address("metrics.address", address);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
  if (where.ipv6) flags |= MHD_USE_IPv6;
  daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &handle, this, MHD_OPTION_SOCK_ADDR, &where.storage,
      MHD_OPTION_THREAD_STACK_SIZE, static_cast<size_t>(0),  // 0: the system's default
      MHD_OPTION_CONNECTION_TIMEOUT, kConnectionTimeoutSeconds, MHD_OPTION_CONNECTION_LIMIT,
      kConnectionLimit, MHD_OPTION_END);
  if (!daemon_) {
    throw Error("metrics.address: cannot listen on '" + address +
                "' (in use, or not an address of this host)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  if (info) port_ = info->port;
}

MetricsExposer::~MetricsExposer() { MHD_stop_daemon(daemon_); }

std::string MetricsExposer::scrape() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace tf::control
