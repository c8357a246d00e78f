#include "launcher/control/auth.h"

#include <cstdlib>

#include "core/error.h"
#include "launcher/control/secret_file.h"

namespace tf::control {
namespace {

constexpr std::string_view kBearer = "Bearer ";

std::string read_token_file(const std::string& path) {
  const std::string token = read_secret_file(path, "control.token_file");
  if (token.empty()) throw Error(path + ": control.token_file is empty");
  check_token_strength(token, path + ": control.token_file");
  return token;
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Accumulate every difference instead of returning at the first, so timing says nothing about
  // how long a matching prefix a guess had.
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return difference == 0;
}

Authenticator Authenticator::from_config(const ControlConfig& config) {
  if (!config.token_file.empty()) return Authenticator(read_token_file(config.token_file));
  if (!config.token_env.empty()) {
    const char* value = std::getenv(config.token_env.c_str());
    const std::string token = value ? trim_whitespace(value) : "";
    if (token.empty()) {
      throw Error("control.token_env: environment variable '" + config.token_env +
                  "' is not set or empty");
    }
    check_token_strength(token, "control.token_env " + config.token_env);
    return Authenticator(token);
  }
  return Authenticator("");
}

grpc::Status Authenticator::check(std::optional<std::string_view> authorization) const {
  if (!authorization) {
    return {grpc::StatusCode::UNAUTHENTICATED,
            "mutating calls need the metadata 'authorization: Bearer <token>'"};
  }
  if (authorization->substr(0, kBearer.size()) != kBearer) {
    return {grpc::StatusCode::UNAUTHENTICATED,
            "the authorization metadata must be 'Bearer <token>'"};
  }
  if (!has_token()) {
    return {grpc::StatusCode::PERMISSION_DENIED,
            "this run has no control token (control.token_file or control.token_env); mutating "
            "calls are disabled"};
  }
  if (!constant_time_equal(authorization->substr(kBearer.size()), token_)) {
    return {grpc::StatusCode::PERMISSION_DENIED, "wrong token"};
  }
  return grpc::Status::OK;
}

}  // namespace tf::control
