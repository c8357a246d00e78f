// The error path of every multi-rank program: runs a rank's body and turns an escaping exception
// into a message naming the rank and a non-zero exit. With more than one rank it calls MPI_Abort,
// because peers may be blocked in a collective this rank will never join: the whole job ends
// within seconds instead of hanging. The exception is an error the ranks agreed on at startup
// (parallel/startup_agreement.h): one rank prints it, and all return kExitError without an abort.
#pragma once

#include <functional>
#include <string>

#include "core/exit_status.h"
#include "parallel/communicator.h"

#include "parallel/mpi_runtime.h"

namespace tf::parallel {

// Exit statuses (core/exit_status.h): body's result; kExitError for tf::Error (a user mistake),
// kExitCommunication for CommError (a peer died, a collective failed or timed out), kExitDiverged
// for tf::RunDiverged, kExitInternal for anything else. `on_failure` (may be empty) is told the
// kind and message before the abort, e.g. to record them (launcher/fault_report.h); `agreed` is
// true for an agreed startup error, which every rank reports and which was printed already.
using FailureHook =
    std::function<void(const char* kind, const std::string& message, bool agreed)>;
int run_rank(const MpiRuntime& runtime, const char* program, const std::function<int()>& body,
             const FailureHook& on_failure = {});

}  // namespace tf::parallel
