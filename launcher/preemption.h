// Checkpoint on signal (docs/operations.md, Signals): SIGUSR1 (what `sbatch --signal=B:USR1@T`
// and `scancel --signal=USR1` send), SIGTERM (what a scheduler sends before it kills) and SIGINT
// (Ctrl-C) set a flag; the trainer polls it at step boundaries, all ranks agree, write a checkpoint
// and the launch exits with kExitPreempted (core/exit_status.h). Further signals while that
// happens only set the flag again, except a second SIGINT within kSecondInterruptSeconds of the
// first: it ends the process at once (kExitInterrupted, core/exit_status.h), saying that no
// checkpoint was written.
// SIGCONT is counted too: it is what mpirun sends a rank first when it ends the job because a peer
// died (launcher/watchdog.h then looks for the dead peer).
#pragma once

#include <cstdint>

namespace tf {

// A second Ctrl-C within this many seconds of the first means "now".
constexpr double kSecondInterruptSeconds = 5;

// Installs the handlers for SIGUSR1, SIGTERM, SIGINT and SIGCONT (once per process).
void install_preemption_handlers();
// Whether SIGUSR1, SIGTERM or SIGINT arrived since install_preemption_handlers.
bool preemption_signalled();
// The last of them to arrive, 0 before any.
int preemption_signal();
// How many signals of any of the four kinds arrived so far: a change means "look again".
int64_t signals_seen();

}  // namespace tf
