#include "parallel/rank_main.h"

#include <cstdio>
#include <exception>

#include "core/error.h"

namespace tf::parallel {
namespace {

int fail(const MpiRuntime& runtime, const char* program, const char* kind, const char* what,
         int code) {
  std::fprintf(stderr, "%s: rank %d: %s: %s\n", program, runtime.world_rank(), kind, what);
  std::fflush(stderr);
  if (runtime.world_size() > 1) runtime.abort(code);
  return code;  // alone: unwind normally so MPI is finalised
}

}  // namespace

int run_rank(const MpiRuntime& runtime, const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    return fail(runtime, program, "error", e.what(), 2);
  } catch (const CommError& e) {
    return fail(runtime, program, "communication failure", e.what(), kExitCommunication);
  } catch (const std::exception& e) {
    return fail(runtime, program, "internal error", e.what(), 1);
  }
}

}  // namespace tf::parallel
