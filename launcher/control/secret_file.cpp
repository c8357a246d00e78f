#include "launcher/control/secret_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace tf::control {

std::string trim_whitespace(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string read_secret_file(const std::string& path, const std::string& what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw Error(path + ": cannot read " + what + ": " + std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) throw Error(path + ": " + what + " is a directory, not a file");
  // The mode of the file itself (stat follows a link): what decides who else can read it.
  const unsigned mode = info.st_mode & 07777;
  if ((mode & (S_IRWXG | S_IRWXO)) != 0) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode);
    throw Error(path + ": " + what + " is readable by group or others (mode " + octal +
                "): chmod 600 " + path);
  }
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read " + what);
  std::stringstream text;
  text << in.rdbuf();
  return trim_whitespace(text.str());
}

void check_token_strength(const std::string& token, const std::string& what) {
  if (token.size() >= kMinTokenLength) return;
  throw Error(what + ": the token has " + std::to_string(token.size()) +
              " characters, fewer than the " + std::to_string(kMinTokenLength) +
              " required; make one with `openssl rand -hex 32`");
}

}  // namespace tf::control
