// The error path of every multi-rank program: runs a rank's body and turns an escaping exception
// into a message naming the rank and a non-zero exit. With more than one rank it calls MPI_Abort,
// because peers may be blocked in a collective this rank will never join: the whole job ends
// within seconds instead of hanging.
#pragma once

#include <functional>
#include <string>

#include "parallel/communicator.h"

#include "parallel/mpi_runtime.h"

namespace tf::parallel {

// Exit codes: body's result; 2 for tf::Error (a user mistake), kExitCommunication for CommError (a
// peer died, a collective failed or timed out), kExitDiverged for tf::RunDiverged, 1 for anything
// else (docs/errors.md). `on_failure` (may be empty) is told the kind and message before the
// abort, e.g. to record them (launcher/fault_report.h).
constexpr int kExitCommunication = 4;
constexpr int kExitDiverged = 7;
using FailureHook = std::function<void(const char* kind, const std::string& message)>;
int run_rank(const MpiRuntime& runtime, const char* program, const std::function<int()>& body,
             const FailureHook& on_failure = {});

}  // namespace tf::parallel
