// Secrets read from files (the control token, the TLS private key): a file that gives any
// permission to group or others is refused, as OpenSSH and PostgreSQL refuse such key files, and a
// token must be long enough to resist guessing. Depends only on core/error.h and the standard
// library, so that tf-ctl (which does not link LibTorch) compiles it too.
#pragma once

#include <string>

namespace tf::control {

// Tokens shorter than this are refused (`openssl rand -hex 32` makes 64 characters).
constexpr size_t kMinTokenLength = 16;

// The content of `path` with surrounding whitespace removed. Throws tf::Error naming `what` (the
// config key or flag, e.g. "control.token_file"), the file and, when group or others have any
// permission, its octal mode and the chmod that fixes it; also when it cannot be read.
std::string read_secret_file(const std::string& path, const std::string& what);

// Throws tf::Error naming `what`, the length found and a way to make a good token when `token`
// has fewer than kMinTokenLength characters.
void check_token_strength(const std::string& token, const std::string& what);

// `text` without leading and trailing spaces, tabs and line ends.
std::string trim_whitespace(const std::string& text);

}  // namespace tf::control
