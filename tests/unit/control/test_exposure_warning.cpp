#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "launcher/control/listen_address.h"

namespace tf::control {
namespace {

bool contains(const std::optional<std::string>& text, const std::string& part) {
  return text && text->find(part) != std::string::npos;
}

TEST(ExposureWarning, LoopbackUnixSocketsAndTlsAreQuiet) {
  for (const char* address :
       {"127.0.0.1:7070", "127.0.0.1:0", "127.5.6.7:7070", "[::1]:7070", "[::ffff:127.0.0.1]:7070",
        "localhost:7070", "unix:/tmp/tf.sock", "unix:relative.sock"}) {
    EXPECT_EQ(exposure_warning("control.address", address, false), std::nullopt) << address;
    EXPECT_EQ(exposure_warning("metrics.address", address, false), std::nullopt) << address;
  }
  for (const char* address : {"0.0.0.0:7070", "[::]:7070", ":7070", "192.168.1.20:7070"}) {
    EXPECT_EQ(exposure_warning("control.address", address, true), std::nullopt) << address;
  }
}

TEST(ExposureWarning, EveryInterfaceInPlaintextWarns) {
  for (const char* address : {"0.0.0.0:7070", "[::]:7070", ":7070", "0.0.0.0:0"}) {
    const auto warning = exposure_warning("control.address", address, false);
    ASSERT_TRUE(warning) << address;
    EXPECT_EQ(warning->rfind(std::string("control.address ") + address +
                                 " accepts plaintext connections on every interface: ",
                             0),
              0u)
        << *warning;
    EXPECT_TRUE(contains(warning, "unix:")) << *warning;
    EXPECT_TRUE(contains(warning, "SSH tunnel")) << *warning;
    EXPECT_TRUE(contains(warning, "control.tls_cert")) << *warning;
  }
}

TEST(ExposureWarning, ANetworkAddressInPlaintextWarns) {
  for (const char* address : {"192.168.1.20:7070", "10.0.0.5:1", "[2001:db8::1]:7070"}) {
    const auto warning = exposure_warning("control.address", address, false);
    EXPECT_TRUE(contains(warning, "accepts plaintext connections from the network")) << address;
  }
}

TEST(ExposureWarning, MetricsSaysTheFiguresAreReadable) {
  const auto warning = exposure_warning("metrics.address", "0.0.0.0:9090", false);
  ASSERT_TRUE(warning);
  EXPECT_EQ(
      warning->rfind("metrics.address 0.0.0.0:9090 serves plaintext HTTP on every interface", 0),
      0u)
      << *warning;
  EXPECT_TRUE(contains(warning, "readable by anyone who reaches it")) << *warning;
  EXPECT_FALSE(contains(warning, "tls_cert")) << *warning;  // the metrics endpoint has no TLS
}

// Where tf-ctl may send a token in plaintext: only to this host.
TEST(IsLoopback, OnlyAddressesThatStayOnThisHost) {
  EXPECT_TRUE(is_loopback("127.0.0.1:7070"));
  EXPECT_TRUE(is_loopback("127.8.9.10:7070"));
  EXPECT_TRUE(is_loopback("[::1]:7070"));
  EXPECT_TRUE(is_loopback("localhost:7070"));
  EXPECT_TRUE(is_loopback("unix:/run/user/1000/tokenformer/run-1.sock"));
  EXPECT_FALSE(is_loopback("192.0.2.1:7070"));
  EXPECT_FALSE(is_loopback("[2001:db8::1]:7070"));
  EXPECT_FALSE(is_loopback("0.0.0.0:7070"));
  EXPECT_FALSE(is_loopback(":7070"));
  EXPECT_FALSE(is_loopback("7070"));
}

}  // namespace
}  // namespace tf::control
