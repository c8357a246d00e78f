// The control server's TLS files (control.tls_cert, control.tls_key), read and checked with
// OpenSSL before gRPC sees them, so that a bad file is refused with a message naming its key and
// file (gRPC itself only fails to listen). Used by the server and by tf-launch's dry run.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/security/server_credentials.h>

#include "core/config.h"

namespace tf::control {

struct TlsFiles {
  std::string cert_pem;  // the certificate (chain), leaf first
  std::string key_pem;   // its private key
};

// Reads control.tls_cert (any mode) and control.tls_key (refused when open to group or others,
// secret_file.h). Throws tf::Error naming the key and file when a file cannot be read, the
// certificate is not a PEM X.509 certificate, the key not an unencrypted PEM private key, or the
// key does not belong to the certificate. Precondition: config.tls_cert is not empty.
TlsFiles read_tls_files(const ControlConfig& config);

// Insecure credentials when control.tls_cert is empty, else TLS with read_tls_files' pair
// (throws as it does).
std::shared_ptr<grpc::ServerCredentials> server_credentials(const ControlConfig& config);

}  // namespace tf::control
