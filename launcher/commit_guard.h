// What keeps a rank that should no longer write checkpoints from committing one: the job's lease on
// checkpoint.dir (launcher/lease.h) taken over by another job, or this rank's launcher (mpirun,
// srun) gone. A killed mpirun leaves its ranks running for a moment; they must not complete a
// checkpoint that a relaunch may already be resuming from or writing.
#pragma once

#include <cstdint>

#include "launcher/lease.h"
#include "parallel/world_sync.h"

namespace tf {

// The pid of the launcher that started this process: its parent, when the environment says that
// mpirun or srun started it (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK, SLURM_STEP_ID); 0 for a
// process started on its own.
int64_t launcher_pid();
// Whether the launcher `pid` (launcher_pid) is no longer this process's parent; false for 0.
bool launcher_gone(int64_t pid);

// The checkpoint agreement of tf-launch, which asks before every write that this rank may still
// write: when the launcher is gone it says so and ends the process (kExitCommunication) without a
// word to its peers, whose launcher is gone as well; when `lease` (world rank 0's, or null) no
// longer names this job, it throws tf::Error, which fails the save on every rank.
class GuardedCheckpointSync : public parallel::WorldCheckpointSync {
 public:
  GuardedCheckpointSync(parallel::Communicator& world, const CheckpointLease* lease,
                        int64_t launcher);
  void check_may_write() override;

 private:
  const CheckpointLease* lease_;
  int64_t launcher_;
};

}  // namespace tf
