#include "launcher/control/private_dir.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

bool socket_answers(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

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

void remove_stale_sockets(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    const size_t dash = name.find('-');
    if (dash == std::string::npos || entry.path().extension() != ".sock") continue;
    const std::string kind = name.substr(0, dash);
    const std::string pid = name.substr(dash + 1, name.size() - dash - 1 - 5);
    if ((kind != "run" && kind != "relay") || pid.empty() ||
        pid.find_first_not_of("0123456789") != std::string::npos || pid.size() > 9) {
      continue;
    }
    // Its process is gone and nothing answers on it (a process of another PID namespace might).
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH &&
        !socket_answers(entry.path().string())) {
      std::filesystem::remove(entry.path(), error);
    }
  }
}

std::string control_socket_path(const std::string& setting) {
  if (setting != "auto") return setting;
  return socket_directory() + "/run-" + std::to_string(::getpid()) + ".sock";
}

}  // namespace tf::control
