#include "launcher/preemption.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/exit_status.h"

namespace tf {
namespace {

volatile sig_atomic_t g_signalled = 0;
volatile sig_atomic_t g_seen = 0;
volatile sig_atomic_t g_interrupted_at = -1;  // CLOCK_MONOTONIC second of the last SIGINT

constexpr char kSecondInterrupt[] =
    "\ntf-launch: second interrupt: exiting at once; no checkpoint was written for the steps "
    "since the last save\n";

// Only async-signal-safe calls: clock_gettime, write, _exit.
extern "C" void on_signal(int signal_number) {
  g_seen = g_seen + 1;
  if (signal_number == SIGCONT) return;
  if (signal_number == SIGINT) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long seconds = static_cast<long>(now.tv_sec);
    if (g_interrupted_at >= 0 && seconds - g_interrupted_at <= kSecondInterruptSeconds) {
      const ssize_t ignored = write(STDERR_FILENO, kSecondInterrupt, sizeof kSecondInterrupt - 1);
      (void)ignored;
      _exit(kExitInterrupted);
    }
    g_interrupted_at = static_cast<sig_atomic_t>(seconds);
  }
  g_signalled = signal_number;
}

}  // namespace

void install_preemption_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // a blocking read or collective goes on
  for (const int signal_number : {SIGUSR1, SIGTERM, SIGINT, SIGCONT}) {
    if (sigaction(signal_number, &action, nullptr) != 0) {
      throw Error(std::string("cannot install the preemption signal handler: ") +
                  std::strerror(errno));
    }
  }
}

bool preemption_signalled() { return g_signalled != 0; }

int preemption_signal() { return g_signalled; }

int64_t signals_seen() { return g_seen; }

}  // namespace tf
