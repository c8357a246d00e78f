#include "launcher/control/auth.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace tf::control {
namespace {

constexpr std::string_view kBearer = "Bearer ";

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read control.token_file");
  std::stringstream text;
  text << in.rdbuf();
  const std::string token = trimmed(text.str());
  if (token.empty()) throw Error(path + ": control.token_file is empty");
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
    const std::string token = value ? trimmed(value) : "";
    if (token.empty()) {
      throw Error("control.token_env: environment variable '" + config.token_env +
                  "' is not set or empty");
    }
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
