#include "parallel/rank_main.h"

#include <cstdio>
#include <exception>

#include "core/error.h"
#include "parallel/startup_agreement.h"

namespace tf::parallel {
namespace {

int fail(const MpiRuntime& runtime, const char* program, const FailureHook& on_failure,
         const char* kind, const char* what, int code) {
  std::fprintf(stderr, "%s: rank %d: %s: %s\n", program, runtime.world_rank(), kind, what);
  std::fflush(stderr);
  if (on_failure) on_failure(kind, what, false);
  if (runtime.world_size() > 1) runtime.abort(code);
  return code;  // alone: unwind normally so MPI is finalised
}

}  // namespace

int run_rank(const MpiRuntime& runtime, const char* program, const std::function<int()>& body,
             const FailureHook& on_failure) {
  const auto failed = [&](const char* kind, const std::exception& e, int code) {
    return fail(runtime, program, on_failure, kind, e.what(), code);
  };
  try {
    return body();
  } catch (const AgreedError& e) {  // every rank knows: said once, and MPI finalises normally
    if (e.prints_here()) {
      std::fprintf(stderr, "%s\n", e.report(program).c_str());
      std::fflush(stderr);
    }
    if (on_failure) on_failure("error", e.what(), true);
    return kExitError;
  } catch (const RunDiverged& e) {
    return failed("diverged", e, kExitDiverged);
  } catch (const Error& e) {
    return failed("error", e, kExitError);
  } catch (const CommError& e) {
    return failed("communication failure", e, kExitCommunication);
  } catch (const std::exception& e) {
    return failed("internal error", e, kExitInternal);
  }
}

}  // namespace tf::parallel
