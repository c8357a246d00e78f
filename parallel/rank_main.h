// The error path of every multi-rank program: runs a rank's body and turns an escaping exception
// into a message naming the rank and a non-zero exit. With more than one rank it calls MPI_Abort,
// because peers may be blocked in a collective this rank will never join: the whole job ends
// within seconds instead of hanging.
#pragma once

#include <functional>

#include "parallel/communicator.h"

#include "parallel/mpi_runtime.h"

namespace tf::parallel {

// Exit codes: body's result; 2 for tf::Error (a user mistake), kExitCommunication for CommError (a
// peer died, a collective failed or timed out), 1 for anything else (docs/errors.md).
constexpr int kExitCommunication = 4;
int run_rank(const MpiRuntime& runtime, const char* program, const std::function<int()>& body);

}  // namespace tf::parallel
