#include "launcher/control/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <grpcpp/security/server_credentials.h>

#include "core/error.h"
#include "launcher/control/secret_file.h"

namespace tf::control {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

std::string read_file(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) throw Error(key + ": cannot read " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Bio memory_bio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// OpenSSL's reason for the last failure on this thread (and clears its queue), for the message.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "";
  const char* reason = ERR_reason_error_string(code);
  return reason ? std::string(" (") + reason + ")" : "";
}

// A passphrase callback that gives none: an encrypted key fails instead of prompting on the
// terminal (gRPC could not decrypt it either).
int no_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

TlsFiles read_tls_files(const ControlConfig& config) {
  TlsFiles files;
  files.cert_pem = read_file(config.tls_cert, "control.tls_cert");
  // The secret-file rule trims the text; a PEM block wants its final line end back.
  files.key_pem = read_secret_file(config.tls_key, "control.tls_key") + "\n";

  ERR_clear_error();
  const std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(memory_bio(files.cert_pem).get(), nullptr, nullptr, nullptr));
  if (!cert) {
    throw Error("control.tls_cert: " + config.tls_cert + " is not a PEM certificate" +
                openssl_reason());
  }
  const std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(memory_bio(files.key_pem).get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    throw Error("control.tls_key: " + config.tls_key + " is not an unencrypted PEM private key" +
                openssl_reason());
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    throw Error("control.tls_key: " + config.tls_key + " does not belong to the certificate " +
                config.tls_cert);
  }
  return files;
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const ControlConfig& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  TlsFiles files = read_tls_files(config);
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({std::move(files.key_pem), std::move(files.cert_pem)});
  return grpc::SslServerCredentials(options);
}

}  // namespace tf::control
