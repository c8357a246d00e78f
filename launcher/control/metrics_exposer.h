// Owns the HTTP server that serves GET /metrics on metrics.address (world rank 0 only; port 0: the
// system picks one, see port()) in the Prometheus text format.
//
// The server is libmicrohttpd with one internal polling thread created with the system's default
// stack size. prometheus-cpp's own exposer (civetweb) gives its threads a fixed stack of about
// 100 KiB, in which glibc must also place every loaded library's static TLS; with libcudart and
// libnccl (which every build links) or OpenBLAS (60 KiB of TLS) loaded, its threads cannot be
// created and no metrics are served.
// prometheus-cpp keeps the registry and the text format.
//
// Scrapes run on the server's thread; the registry is thread-safe. The destructor stops the thread
// (after at most one in-flight scrape) and does not throw.
#pragma once

#include <prometheus/registry.h>

#include <memory>
#include <string>

struct MHD_Daemon;

namespace tf::control {

class MetricsExposer {
 public:
  // Throws tf::Error naming metrics.address when `address` ("HOST:PORT") cannot be resolved or
  // bound.
  MetricsExposer(const std::string& address, std::shared_ptr<prometheus::Registry> registry);
  ~MetricsExposer();
  MetricsExposer(const MetricsExposer&) = delete;
  MetricsExposer& operator=(const MetricsExposer&) = delete;

  int port() const { return port_; }
  // The body of one scrape (what GET /metrics returns).
  std::string scrape() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

}  // namespace tf::control
