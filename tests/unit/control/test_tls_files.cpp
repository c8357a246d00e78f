#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/error.h"
#include "launcher/control/tls_files.h"
#include "tests/unit/checkpoint_test_util.h"
#include "tests/unit/temp_dir.h"

namespace tf::control {
namespace {

// Writes a fresh P-256 key (mode 0600) and a self-signed certificate of it under `dir`.
void write_pair(const std::string& dir, const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* out = std::fopen((dir + "/" + name + ".key").c_str(), "w");
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  ::chmod((dir + "/" + name + ".key").c_str(), 0600);
  out = std::fopen((dir + "/" + name + ".pem").c_str(), "w");
  PEM_write_X509(out, cert);
  std::fclose(out);
  X509_free(cert);
  EVP_PKEY_free(key);
}

using tf::testing::error_of;

class TlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_pair(dir_.path(), "a");
    write_pair(dir_.path(), "b");
    config_.tls_cert = dir_.path() + "/a.pem";
    config_.tls_key = dir_.path() + "/a.key";
  }
  std::string garbage(const std::string& name, mode_t mode) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path)
        << "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
    ::chmod(path.c_str(), mode);
    return path;
  }

  TempDir dir_;
  ControlConfig config_;
};

TEST_F(TlsFilesTest, AMatchingPairIsRead) {
  const TlsFiles files = read_tls_files(config_);
  EXPECT_NE(files.cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(files.key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(server_credentials(config_), nullptr);
}

TEST_F(TlsFilesTest, WithoutACertificateTheCredentialsAreInsecure) {
  EXPECT_NE(server_credentials(ControlConfig{}), nullptr);
}

TEST_F(TlsFilesTest, ABadCertificateIsNamed) {
  config_.tls_cert = garbage("bad.pem", 0644);
  EXPECT_EQ(error_of([&] {
              read_tls_files(config_);
            }).rfind("control.tls_cert: " + config_.tls_cert + " is not a PEM certificate", 0),
            0u)
      << error_of([&] { read_tls_files(config_); });
  config_.tls_cert = dir_.path() + "/a.key";  // a key where the certificate belongs
  EXPECT_EQ(error_of([&] {
              read_tls_files(config_);
            }).rfind("control.tls_cert: " + config_.tls_cert + " is not a PEM certificate", 0),
            0u);
  config_.tls_cert = dir_.path() + "/absent.pem";
  EXPECT_EQ(error_of([&] {
              read_tls_files(config_);
            }).rfind("control.tls_cert: cannot read " + config_.tls_cert, 0),
            0u);
}

TEST_F(TlsFilesTest, ABadKeyIsNamed) {
  config_.tls_key = garbage("bad.key", 0600);
  EXPECT_EQ(
      error_of([&] {
        read_tls_files(config_);
      }).rfind("control.tls_key: " + config_.tls_key + " is not an unencrypted PEM private key", 0),
      0u)
      << error_of([&] { read_tls_files(config_); });
}

TEST_F(TlsFilesTest, AKeyOfAnotherCertificateIsRefused) {
  config_.tls_key = dir_.path() + "/b.key";
  EXPECT_EQ(error_of([&] { read_tls_files(config_); }), "control.tls_key: " + config_.tls_key +
                                                            " does not belong to the certificate " +
                                                            config_.tls_cert);
  EXPECT_THROW(server_credentials(config_), Error);
}

TEST_F(TlsFilesTest, AKeyOthersCanReadIsRefusedAndTheCertificateMayBe) {
  ::chmod(config_.tls_cert.c_str(), 0644);
  EXPECT_NO_THROW(read_tls_files(config_));
  ::chmod(config_.tls_key.c_str(), 0640);
  EXPECT_EQ(error_of([&] { read_tls_files(config_); }),
            config_.tls_key +
                ": control.tls_key is readable by group or others (mode 0640): "
                "chmod 600 " +
                config_.tls_key);
}

}  // namespace
}  // namespace tf::control
