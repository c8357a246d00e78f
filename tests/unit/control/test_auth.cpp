#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/error.h"
#include "launcher/control/auth.h"

namespace tf::control {
namespace {

TEST(ConstantTimeEqual, ComparesLengthAndEveryByte) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "Secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Authenticator, CodesForMissingMalformedWrongAndRightTokens) {
  const Authenticator auth("s3cret");
  EXPECT_EQ(auth.check(std::nullopt).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(auth.check("s3cret").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(auth.check("Basic s3cret").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(auth.check("Bearer wrong").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(auth.check("Bearer s3cre").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(auth.check("Bearer s3cret").ok());
}

TEST(Authenticator, WithoutTokenEveryMutationIsDenied) {
  const Authenticator none("");
  EXPECT_FALSE(none.has_token());
  EXPECT_EQ(none.check("Bearer ").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(none.check("Bearer anything").error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST(Authenticator, ReadsTokenFromFileOrEnvironment) {
  const std::string path = ::testing::TempDir() + "/tf_token_test";
  std::ofstream(path) << "  from-file\n";
  ControlConfig config;
  config.token_file = path;
  EXPECT_TRUE(Authenticator::from_config(config).check("Bearer from-file").ok());
  std::ofstream(path) << "\n";
  EXPECT_THROW(Authenticator::from_config(config), Error);
  std::remove(path.c_str());
  EXPECT_THROW(Authenticator::from_config(config), Error);

  ControlConfig env_config;
  env_config.token_env = "TF_AUTH_TEST_TOKEN";
  ::unsetenv("TF_AUTH_TEST_TOKEN");
  EXPECT_THROW(Authenticator::from_config(env_config), Error);
  ::setenv("TF_AUTH_TEST_TOKEN", "from-env", 1);
  EXPECT_TRUE(Authenticator::from_config(env_config).check("Bearer from-env").ok());
  ::unsetenv("TF_AUTH_TEST_TOKEN");
  EXPECT_FALSE(Authenticator::from_config(ControlConfig{}).has_token());
}

}  // namespace
}  // namespace tf::control
