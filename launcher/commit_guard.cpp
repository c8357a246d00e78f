#include "launcher/commit_guard.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "core/exit_status.h"

namespace tf {

int64_t launcher_pid() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "SLURM_STEP_ID"}) {
    if (std::getenv(name) != nullptr) return ::getppid();
  }
  return 0;
}

bool launcher_gone(int64_t pid) { return pid > 0 && ::getppid() != pid; }

GuardedCheckpointSync::GuardedCheckpointSync(parallel::Communicator& world,
                                             const CheckpointLease* lease, int64_t launcher)
    : WorldCheckpointSync(world), lease_(lease), launcher_(launcher) {}

void GuardedCheckpointSync::check_may_write() {
  if (launcher_gone(launcher_)) {
    std::fprintf(stderr,
                 "tf-launch: rank %lld: the launcher (pid %lld) is gone: this rank writes no more "
                 "checkpoints\n",
                 (long long)rank(), (long long)launcher_);
    std::fflush(stderr);
    std::_Exit(kExitCommunication);
  }
  if (lease_ != nullptr && !lease_->held()) {
    throw Error("checkpoint.dir " + lease_->dir() + ": its " + CheckpointLease::kFileName +
                " no longer names this job (another job took the directory over): this job "
                "writes no more checkpoints");
  }
}

}  // namespace tf
