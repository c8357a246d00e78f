// Startup errors said once. A mistake in the config or the data usually fails every rank alike;
// printed by each rank and followed by MPI_Abort, it would bury itself under as many copies as
// there are ranks and MPI's abort banner. So the startup of a job (config, layout, data, the
// resumed checkpoint) runs in parts that make no collective call, each followed by one small
// all-gather of "did this rank fail": when any rank failed, the lowest failing rank prints its
// message and every rank ends normally with exit status 2 (tf::Error) through rank_main.h, which
// lets MPI finalise instead of aborting. Errors after startup keep the abort path: a peer may then
// be blocked in a collective that the failing rank never joins.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "parallel/communicator.h"

namespace tf::parallel {

// What every rank throws once the ranks agree that startup failed. Only the rank that
// `prints_here()` says it; the others end silently.
class AgreedError : public Error {
 public:
  // `failed` lists the failing world ranks in order; `message` is this rank's own error, empty on
  // ranks that did not fail.
  AgreedError(const std::string& message, int rank, int world_size, std::vector<int> failed);

  bool prints_here() const { return prints_here_; }
  // The one line to print: "PROGRAM: rank R: error: MESSAGE" for the lowest failing rank R, naming
  // the other failing ranks unless every rank failed.
  std::string report(const char* program) const;

 private:
  bool prints_here_;
  int world_size_;
  std::vector<int> failed_;
};

// Runs `body` on every rank of `world` and agrees on its tf::Error: returns when no rank failed,
// throws AgreedError on every rank otherwise. Collective over `world` (every rank calls it, in the
// same order); `body` must make no collective call on any communicator, since a rank that fails
// early would leave its peers waiting in it. Other exceptions pass through unagreed.
void agree_on_startup(Communicator& world, const std::function<void()>& body);

}  // namespace tf::parallel
