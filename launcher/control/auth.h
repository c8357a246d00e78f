// Bearer-token check for mutating control calls. The token comes from control.token_file or the
// environment variable named by control.token_env; it is read once at start-up. Without either,
// every mutating call is refused (PERMISSION_DENIED): the API never mutates unauthenticated.
// Immutable after construction, so any thread may call check().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/support/status.h>

#include "core/config.h"

namespace tf::control {

// Equal length and bytes, in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

class Authenticator {
 public:
  // Throws tf::Error when the configured file or variable is missing, unreadable or empty, when
  // the file is open to group or others, or when the token is too short (secret_file.h).
  static Authenticator from_config(const ControlConfig& config);

  // `token` empty: none configured.
  explicit Authenticator(std::string token) : token_(std::move(token)) {}

  bool has_token() const { return !token_.empty(); }
  // `authorization`: the request's `authorization` metadata value, if any. OK, UNAUTHENTICATED
  // (missing or malformed) or PERMISSION_DENIED (wrong token, or none configured).
  grpc::Status check(std::optional<std::string_view> authorization) const;

 private:
  std::string token_;
};

}  // namespace tf::control
