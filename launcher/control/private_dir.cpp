#include "launcher/control/private_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace tf::control {
namespace {

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

std::string socket_directory() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime && *runtime) return std::string(runtime) + "/tokenformer";
  return "/tmp/tokenformer-" + std::to_string(::getuid());
}

void check_private_directory(const std::string& dir, bool create) {
  struct stat found {};
  if (::lstat(dir.c_str(), &found) != 0) {
    if (errno != ENOENT || !create) {
      throw Error(dir + ": cannot use as the control socket directory: " + std::strerror(errno));
    }
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), error);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      throw Error(dir + ": cannot create the control socket directory: " + std::strerror(errno));
    }
    if (::lstat(dir.c_str(), &found) != 0) {
      throw Error(dir + ": cannot use as the control socket directory: " + std::strerror(errno));
    }
  }
  if (!S_ISDIR(found.st_mode)) {
    throw Error(dir + ": the control socket directory is not a directory (or is a symbolic link)");
  }
  if (found.st_uid != ::getuid()) {
    throw Error(dir + ": the control socket directory belongs to uid " +
                std::to_string(found.st_uid) + ", not to this user (uid " +
                std::to_string(::getuid()) +
                "): another user may have made it; remove it, or set control.socket elsewhere");
  }
  if ((found.st_mode & 077) != 0) {
    throw Error(dir + ": the control socket directory is open to group or others (mode " +
                octal(found.st_mode) + "): chmod 700 " + dir);
  }
}

std::string control_socket_path(const std::string& setting) {
  if (setting != "auto") return setting;
  return socket_directory() + "/run-" + std::to_string(::getpid()) + ".sock";
}

}  // namespace tf::control
