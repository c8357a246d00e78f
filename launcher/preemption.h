// Checkpoint on signal (docs/operations.md, Preemption): SIGUSR1 (what `sbatch --signal=B:USR1@T`
// and `scancel --signal=USR1` send) and SIGTERM (what a scheduler sends before it kills) set a
// flag; the trainer polls it at step boundaries, all ranks agree, write a checkpoint and the
// launch exits with kExitPreempted (core/exit_status.h). Further signals while that happens only
// set the flag again.
#pragma once

namespace tf {

// Installs the handlers for SIGUSR1 and SIGTERM (once per process).
void install_preemption_handlers();
// Whether one of them arrived since install_preemption_handlers.
bool preemption_signalled();
// The last of them to arrive (SIGUSR1 or SIGTERM), 0 before any.
int preemption_signal();

}  // namespace tf
