// MPI's lifetime: created once in main (before any communicator, destroyed after all of them).
// The constructor initialises MPI with MPI_THREAD_FUNNELED (only the main thread communicates)
// and throws CommError if that fails. abort() is the error path: it ends every rank of the job
// promptly instead of leaving peers blocked in collectives.
#pragma once

#include <memory>

#include "parallel/communicator.h"

namespace tf::parallel {

class MpiRuntime {
 public:
  MpiRuntime(int* argc, char*** argv);
  ~MpiRuntime() noexcept;  // MPI_Finalize unless abort() was called
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

  int world_rank() const { return rank_; }
  int world_size() const { return size_; }
  // A new communicator over every rank (a duplicate of MPI_COMM_WORLD); must not outlive *this.
  std::unique_ptr<Communicator> world() const;
  // MPI_Abort over the world with `exit_code`; does not return. A rank on mpirun's host makes sure
  // mpirun ends too (parallel/launcher_guard.h).
  [[noreturn]] void abort(int exit_code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace tf::parallel
