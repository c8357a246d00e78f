#include <gtest/gtest.h>

#include "core/config.h"
#include "core/error.h"

namespace tf {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "test.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ControlConfig, ReadsTokenTlsAndPeakKeys) {
  const Config c = parse_config(
      "control: {address: '127.0.0.1:7000', token_env: TF_TOKEN, tls_cert: c.pem, tls_key: k.pem}\n"
      "metrics: {address: '127.0.0.1:7001', peak_flops: 1.0e12}\n",
      "test.yaml");
  EXPECT_EQ(c.control.address, "127.0.0.1:7000");
  EXPECT_EQ(c.control.token_env, "TF_TOKEN");
  EXPECT_EQ(c.control.tls_cert, "c.pem");
  EXPECT_EQ(c.control.tls_key, "k.pem");
  EXPECT_DOUBLE_EQ(c.metrics.peak_flops, 1.0e12);
  const Config again = parse_config(to_yaml(c), "again.yaml");
  EXPECT_EQ(again.control.token_env, "TF_TOKEN");
  EXPECT_DOUBLE_EQ(again.metrics.peak_flops, 1.0e12);
}

TEST(ControlConfig, RejectsContradictions) {
  EXPECT_EQ(error_of("control: {token_file: t, token_env: T}\n"),
            "test.yaml:1:26: 'control.token_env': set either token_file or token_env, not both");
  EXPECT_EQ(error_of("control: {tls_cert: c.pem}\n"),
            "test.yaml:1:10: 'control.tls_key': tls_cert and tls_key go together");
  EXPECT_EQ(error_of("metrics: {peak_flops: -1}\n"),
            "test.yaml:1:11: 'metrics.peak_flops': must not be negative (0: unknown)");
}

}  // namespace
}  // namespace tf
