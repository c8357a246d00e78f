#include "parallel/mpi_runtime.h"

#include <mpi.h>

#include <cstdlib>

#include "parallel/launcher_guard.h"
#include "parallel/mpi_communicator.h"
#include "parallel/mpi_error.h"

namespace tf::parallel {

MpiRuntime::MpiRuntime(int* argc, char*** argv) {
  int provided = 0;
  mpi_check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided),
            [] { return std::string("MPI_Init_thread"); });
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (provided < MPI_THREAD_FUNNELED) {
    throw CommError("MPI provides thread level " + std::to_string(provided) +
                    ", below MPI_THREAD_FUNNELED");
  }
}

MpiRuntime::~MpiRuntime() noexcept {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::unique_ptr<Communicator> MpiRuntime::world() const {
  return MpiCommunicator::duplicate(MPI_COMM_WORLD);
}

void MpiRuntime::abort(int exit_code) const {
  watch_launcher_after_abort();
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);  // MPI_Abort should not return; never continue if it does
}

}  // namespace tf::parallel
