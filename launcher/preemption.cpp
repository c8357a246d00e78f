#include "launcher/preemption.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"

namespace tf {
namespace {

volatile sig_atomic_t g_signalled = 0;

extern "C" void on_preemption_signal(int signal_number) { g_signalled = signal_number; }

}  // namespace

void install_preemption_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_preemption_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // a blocking read or collective goes on
  for (const int signal_number : {SIGUSR1, SIGTERM}) {
    if (sigaction(signal_number, &action, nullptr) != 0) {
      throw Error(std::string("cannot install the preemption signal handler: ") +
                  std::strerror(errno));
    }
  }
}

bool preemption_signalled() { return g_signalled != 0; }

int preemption_signal() { return g_signalled; }

}  // namespace tf
