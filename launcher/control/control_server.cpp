#include "launcher/control/control_server.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "launcher/control/control_relay.h"
#include "launcher/control/listen_address.h"
#include "launcher/control/private_dir.h"
#include "launcher/control/tls_files.h"

namespace tf::control {
namespace {

// Mutating calls wait for a step boundary; on shutdown they get this long to finish.
constexpr std::chrono::seconds kShutdownGrace{2};
constexpr int kIdleConnectionMillis = 60 * 1000;
constexpr int kHandshakeMillis = 10 * 1000;

// A unix socket's path must fit sockaddr_un (107 bytes); gRPC's own message would not name the key.
void check_socket_path(const std::string& key, const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw Error(key + ": the socket path " + path + " has " + std::to_string(path.size()) +
                " bytes; a unix socket's path must have fewer than " +
                std::to_string(sizeof(sockaddr_un{}.sun_path)) + ": choose a shorter one");
  }
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

ControlServer::ControlServer(const ControlConfig& config, grpc::Service& service,
                             const GateLimits& tcp, int max_threads, ListenerNote note)
    : uses_tls_(!config.tls_cert.empty()) {
  const bool direct_unix = config.address.rfind("unix:", 0) == 0;
  const bool tcp_address = !config.address.empty() && !direct_unix;
  socket_path_ = control_socket_path(config.socket);
  if (!socket_path_.empty()) {
    check_socket_path("control.socket", socket_path_);
    check_private_directory(directory_of(socket_path_), true);
    remove_stale_sockets(directory_of(socket_path_));
  }
  if (tcp_address) {
    check_can_listen("control.address", config.address);  // our message, not gRPC's log line
    const std::string dir = socket_path_.empty() ? socket_directory() : directory_of(socket_path_);
    check_private_directory(dir, true);
    relay_path_ = dir + "/relay-" + std::to_string(::getpid()) + ".sock";
    check_socket_path("control.socket (its directory holds the relay socket)", relay_path_);
  }
  if (direct_unix) check_can_listen("control.address", config.address);

  grpc::ServerBuilder builder;
  grpc::ResourceQuota quota("control");
  quota.SetMaxThreads(max_threads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, kIdleConnectionMillis);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, kHandshakeMillis);
  const auto secure = server_credentials(config);
  int bound = 0, bound_socket = 0, bound_relay = 0;
  if (direct_unix) builder.AddListeningPort(config.address, secure, &bound);
  if (!socket_path_.empty()) {
    builder.AddListeningPort("unix:" + socket_path_, grpc::InsecureServerCredentials(),
                             &bound_socket);
  }
  if (tcp_address) builder.AddListeningPort("unix:" + relay_path_, secure, &bound_relay);
  builder.RegisterService(&service);
  server_ = builder.BuildAndStart();
  if (!server_ || (direct_unix && bound == 0)) {
    throw Error("control.address: cannot listen on '" + config.address + "'");
  }
  if (!socket_path_.empty() && bound_socket == 0) {
    throw Error("control.socket: cannot listen on '" + socket_path_ + "'");
  }
  if (tcp_address && bound_relay == 0) {
    throw Error("control.address: cannot listen on the relay socket '" + relay_path_ + "'");
  }
  if (!socket_path_.empty()) ::chmod(socket_path_.c_str(), 0600);
  if (tcp_address) {
    ::chmod(relay_path_.c_str(), 0600);
    listener_ = std::make_unique<GuardedListener>("control.address", config.address, tcp,
                                                  relay_to(relay_path_), std::move(note));
    address_ = config.address.substr(0, config.address.rfind(':')) + ":" +
               std::to_string(listener_->port());
  } else if (direct_unix) {
    address_ = config.address;
  }
}

ControlServer::~ControlServer() {
  server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  server_->Wait();
  listener_.reset();  // after the server: the relay passes on the last replies
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
  if (!relay_path_.empty()) ::unlink(relay_path_.c_str());
}

}  // namespace tf::control
