#include <gtest/gtest.h>

#include <string>

#include "launcher/control/ctl_output.h"

namespace tf::control {
namespace {

// The messages gRPC 1.51 (Debian 12, OpenSSL 3) gives tf-ctl, as seen against a real run.
constexpr const char* kWrongCa =
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:17071: Ssl handshake "
    "failed: SSL_ERROR_SSL: error:0A000086:SSL routines::certificate verify failed";
constexpr const char* kNameNotInCertificate =
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:17071: Peer name "
    "localhost is not in peer certificate";
constexpr const char* kTlsToPlaintext =
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:17072: Ssl handshake "
    "failed: SSL_ERROR_SSL: error:0A00010B:SSL routines::wrong version number";
constexpr const char* kPlaintextToTls =
    "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:17071: Socket "
    "closed";
constexpr const char* kNobody =
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to connect "
    "to remote host: Connection refused";

TEST(ConnectionHint, AFailedVerificationNamesTheCaNotPlaintext) {
  const std::string hint = connection_hint(kWrongCa, true);
  EXPECT_NE(hint.find("does not verify against the CA of --tls-ca"), std::string::npos) << hint;
  EXPECT_NE(hint.find("the host in --address"), std::string::npos) << hint;
  EXPECT_EQ(hint.find("leave out"), std::string::npos) << hint;
}

TEST(ConnectionHint, AHostTheCertificateDoesNotNameIsSaid) {
  const std::string hint = connection_hint(kNameNotInCertificate, true);
  EXPECT_NE(hint.find("not among the names of the server's certificate"), std::string::npos)
      << hint;
  EXPECT_EQ(hint.find("leave out"), std::string::npos) << hint;
}

TEST(ConnectionHint, TlsAndPlaintextMismatchesKeepTheirHints) {
  EXPECT_EQ(connection_hint(kTlsToPlaintext, true),
            "is the server without TLS? then leave out --tls-ca");
  EXPECT_EQ(connection_hint(kPlaintextToTls, false),
            "does the server use TLS, control.tls_cert? then give --tls-ca FILE");
}

TEST(ConnectionHint, NothingToSayOfOtherFailures) {
  EXPECT_EQ(connection_hint(kNobody, true), "");
  EXPECT_EQ(connection_hint(kNobody, false), "");
  EXPECT_EQ(connection_hint(kPlaintextToTls, true), "");
}

}  // namespace
}  // namespace tf::control
