#include "launcher/terminal.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

namespace tf {
namespace {

// tcsetpgrp from a background group raises SIGTTOU unless it is blocked.
bool set_foreground(int terminal, pid_t group) {
  sigset_t ttou, previous;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &ttou, &previous);
  const bool done = tcsetpgrp(terminal, group) == 0;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return done;
}

}  // namespace

TerminalInterrupts::TerminalInterrupts(bool lowest_rank_on_host) {
  if (!lowest_rank_on_host) return;
  const int terminal = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (terminal < 0) return;  // no controlling terminal
  termios modes{};
  const pid_t foreground = tcgetpgrp(terminal);
  const pid_t parent_group = getpgid(getppid());
  const bool ours_to_take = foreground > 0 && foreground == parent_group &&
                            foreground != getpgrp() && tcgetattr(terminal, &modes) == 0 &&
                            (modes.c_lflag & TOSTOP) == 0;
  if (ours_to_take && set_foreground(terminal, getpgrp())) {
    terminal_ = terminal;
    previous_group_ = foreground;
  } else {
    close(terminal);
  }
}

TerminalInterrupts::~TerminalInterrupts() {
  if (terminal_ < 0) return;
  if (tcgetpgrp(terminal_) == getpgrp()) set_foreground(terminal_, previous_group_);
  close(terminal_);
}

}  // namespace tf
