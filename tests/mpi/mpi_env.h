// Test harness for multi-rank gtest binaries run under mpirun: main (mpi_main.cpp) owns the MPI
// runtime and the world communicator; tests reach them here. Every rank runs every test, so a test
// must call the same collectives on every rank whatever its assertions find.
#pragma once

#include <string>

#include "parallel/communicator.h"
#include "parallel/mpi_runtime.h"

namespace tf::parallel::testing {

Communicator& world();
const MpiRuntime& runtime();

// Fails (with rank, index and both values) at the first element where actual != expected;
// compares exactly when atol and rtol are 0.
void expect_close(const torch::Tensor& actual, const torch::Tensor& expected,
                  const std::string& what, double atol = 0, double rtol = 0);

}  // namespace tf::parallel::testing
