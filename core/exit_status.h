// The exit statuses of the project's programs, in one table (docs/errors.md lists them for users;
// deploy/slurm/ scripts act on 3 and 5). Every program and every failure path returns one of
// these; nothing else spells a number.
#pragma once

namespace tf {

enum ExitStatus : int {
  kExitOk = 0,
  kExitInternal = 1,       // an exception that is not a tf::Error: a bug
  kExitError = 2,          // tf::Error: a user mistake (config, data, checkpoint, usage)
  kExitRelaunch = 3,       // the next stage needs another parallel layout: relaunch to continue
  kExitCommunication = 4,  // a peer died, or a collective failed or timed out
  kExitPreempted = 5,      // a signal asked the run to stop: checkpoint written, relaunch resumes
  kExitTimeout = 6,        // the watchdog ended a phase that outlasted its time-out
  kExitDiverged = 7,       // fault.max_skipped_steps non-finite steps in a row
  // A second Ctrl-C soon after the first: ended at once without a checkpoint (the shell's status
  // for a death by SIGINT).
  kExitInterrupted = 130,
  // tf-ctl's own: the server answered the call with an error status (printed with its code).
  kExitCallFailed = 1,
};

}  // namespace tf
