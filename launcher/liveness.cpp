#include "launcher/liveness.h"

#include <signal.h>

#include <cerrno>

namespace tf {

double stale_after(double interval) { return 3 * interval + 2; }

bool process_alive(int64_t pid) {
  return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

bool keeper_gone(const Keeper& keeper, const std::string& my_host, double now) {
  if (keeper.host == my_host) return !process_alive(keeper.pid);
  return now - keeper.time > stale_after(keeper.interval);
}

}  // namespace tf
