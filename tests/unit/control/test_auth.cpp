#include <gtest/gtest.h>

#include <sys/stat.h>
#include <cstdio>
#include <cstdlib>

#include <fstream>

#include "core/error.h"
#include "launcher/control/auth.h"
#include "tests/unit/temp_dir.h"

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
  const TempDir dir;
  const std::string path = dir.path() + "/token";
  const std::string token = "from-file-0123456789";
  std::ofstream(path) << "  " << token << "\n";
  ::chmod(path.c_str(), 0600);
  ControlConfig config;
  config.token_file = path;
  EXPECT_TRUE(Authenticator::from_config(config).check("Bearer " + token).ok());
  std::ofstream(path) << "\n";
  EXPECT_THROW(Authenticator::from_config(config), Error);
  std::remove(path.c_str());
  EXPECT_THROW(Authenticator::from_config(config), Error);

  ControlConfig env_config;
  env_config.token_env = "TF_AUTH_TEST_TOKEN";
  ::unsetenv("TF_AUTH_TEST_TOKEN");
  EXPECT_THROW(Authenticator::from_config(env_config), Error);
  ::setenv("TF_AUTH_TEST_TOKEN", "from-env-0123456789", 1);
  EXPECT_TRUE(Authenticator::from_config(env_config).check("Bearer from-env-0123456789").ok());
  ::unsetenv("TF_AUTH_TEST_TOKEN");
  EXPECT_FALSE(Authenticator::from_config(ControlConfig{}).has_token());
}

std::string from_config_error(const ControlConfig& config) {
  try {
    Authenticator::from_config(config);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Authenticator, RefusesATokenFileOthersCanReadAndShortTokens) {
  const TempDir dir;
  ControlConfig config;
  config.token_file = dir.path() + "/token";
  std::ofstream(config.token_file) << "0123456789abcdef0123\n";
  ::chmod(config.token_file.c_str(), 0644);
  EXPECT_EQ(from_config_error(config),
            config.token_file +
                ": control.token_file is readable by group or others (mode "
                "0644): chmod 600 " +
                config.token_file);
  std::ofstream(config.token_file) << "abc\n";
  ::chmod(config.token_file.c_str(), 0600);
  std::string message = from_config_error(config);
  EXPECT_NE(message.find(config.token_file + ": control.token_file: the token has 3 characters"),
            std::string::npos)
      << message;

  ControlConfig env_config;
  env_config.token_env = "TF_AUTH_TEST_TOKEN";
  ::setenv("TF_AUTH_TEST_TOKEN", "x", 1);
  message = from_config_error(env_config);
  EXPECT_NE(message.find("control.token_env TF_AUTH_TEST_TOKEN: the token has 1 characters"),
            std::string::npos)
      << message;
  ::unsetenv("TF_AUTH_TEST_TOKEN");
}

}  // namespace
}  // namespace tf::control
