// Ctrl-C under an interactive mpirun (docs/operations.md, Signals). The terminal sends SIGINT to
// its foreground process group, which is mpirun's: mpirun cannot pass SIGINT on, and answers it by
// ending the job within 2 s (SIGCONT, SIGTERM 1 s later, SIGKILL 1 s after that, exit status 1),
// too soon for a checkpoint. So the lowest rank on mpirun's host makes its own process group the
// terminal's foreground while it trains: Ctrl-C then reaches that rank as a preemption signal
// (launcher/preemption.h), every rank saves at the next step boundary and mpirun exits 5 as its
// ranks do. The foreground goes back to mpirun's group when the rank ends. Nothing changes without
// a terminal, for a rank whose parent is not the terminal's foreground (a remote host, srun, a
// background job), or when the terminal stops background writers (`stty tostop`: mpirun would
// stop writing the ranks' output).
#pragma once

namespace tf {

class TerminalInterrupts {
 public:
  // Takes the foreground when `lowest_rank_on_host` and the conditions above hold.
  explicit TerminalInterrupts(bool lowest_rank_on_host);
  // Gives it back to the group it was taken from.
  ~TerminalInterrupts();
  TerminalInterrupts(const TerminalInterrupts&) = delete;
  TerminalInterrupts& operator=(const TerminalInterrupts&) = delete;

  bool taken() const { return terminal_ >= 0; }

 private:
  int terminal_ = -1;      // the controlling terminal, open while the foreground is ours
  int previous_group_ = 0;  // the group it was taken from (mpirun's)
};

}  // namespace tf
