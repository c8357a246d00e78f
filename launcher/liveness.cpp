#include "launcher/liveness.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <fstream>

namespace tf {

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double stale_after(double interval) { return 3 * interval + 2; }

bool process_alive(int64_t pid) {
  if (pid <= 0 || (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) return false;
  // A zombie has ended: only its exit status waits for a parent (or an init that never reaps).
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const size_t name_end = text.rfind(')');
  return name_end == std::string::npos || name_end + 2 >= text.size() ||
         (text[name_end + 2] != 'Z' && text[name_end + 2] != 'X');
}

bool keeper_gone(const Keeper& keeper, const std::string& my_host, double now) {
  if (keeper.host == my_host) return !process_alive(keeper.pid);
  return now - keeper.time > stale_after(keeper.interval);
}

}  // namespace tf
