// The last step of an abort: mpirun must end the job once a rank called MPI_Abort, but it waits
// for every host's daemon to confirm that its ranks are gone, and a host it cannot reach (its
// network cut, or its processes frozen) never confirms: mpirun then waits for TCP to give up, which
// takes many minutes. So the aborting rank whose parent is mpirun itself (the ranks on mpirun's own
// host) leaves a small watcher behind: if mpirun is still there `launcher_grace_seconds()` after
// the abort, the watcher writes why to mpirun's stderr and kills it (SIGKILL; the job's exit
// status is then 137). Under srun, and on other hosts (whose parent is mpirun's daemon), nothing is
// watched: Slurm and the daemons end by themselves once mpirun has gone.
#pragma once

namespace tf::parallel {

// How long mpirun gets to end the job after an abort: its own sequence of SIGCONT, SIGTERM and
// SIGKILL to the ranks (2 x OMPI_MCA_odls_base_sigkill_timeout, 1 s by default) and 10 s more.
double launcher_grace_seconds();

// Forks the watcher when this process's parent is mpirun (mpirun, mpiexec or orterun); returns at
// once. The watcher holds no file of this process (mpirun waits for the ranks' output pipes to
// close).
void watch_launcher_after_abort();

}  // namespace tf::parallel
