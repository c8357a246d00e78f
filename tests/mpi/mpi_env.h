// Test harness for multi-rank gtest binaries run under mpirun: main (mpi_main.cpp) owns the MPI
// runtime and the world communicator; tests reach them here. Every rank runs every test, so a test
// must call the same collectives on every rank whatever its assertions find.
#pragma once

#include <string>

#include "parallel/communicator.h"
#include "parallel/mpi_runtime.h"
#include "tests/mpi/parity_run.h"

namespace tf::parallel::testing {

Communicator& world();
const MpiRuntime& runtime();

// Fails (with rank, index and both values) at the first element where actual != expected;
// compares exactly when atol and rtol are 0.
void expect_close(const torch::Tensor& actual, const torch::Tensor& expected,
                  const std::string& what, double atol = 0, double rtol = 0);

// Each parameter of `actual` (a pipeline stage's, or the whole model's) against the parameter of
// the same name in `expected` (the whole model's), within `atol`; fails for a name `expected`
// lacks.
void expect_matching_parameters(const RunResult& actual, const RunResult& expected,
                                const std::string& what, double atol);

// A directory every rank of the world names alike; rank 0 removes it on destruction, after all
// ranks are done. Collective over the world (construction and destruction).
class SharedTempDir {
 public:
  SharedTempDir();
  ~SharedTempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tf::parallel::testing
