// The one place MPI error codes become exceptions. Communicators are created with
// MPI_ERRORS_RETURN, so every MPI call's result passes through mpi_check.
#pragma once

#include <mpi.h>

#include <string>

#include "parallel/communicator.h"

namespace tf::parallel {

// Throws CommError "<what>: MPI error <class>: <MPI's message>".
[[noreturn]] void throw_mpi_error(int code, const std::string& what);

// `what` is a callable building the context (rank, op, dtype, sizes) only on failure.
template <typename What>
void mpi_check(int code, What&& what) {
  if (code != MPI_SUCCESS) throw_mpi_error(code, what());
}

}  // namespace tf::parallel
