// Creates the world communicator of the configured backend. The MpiRuntime must outlive it.
#pragma once

#include <memory>

#include "parallel/communicator.h"
#include "parallel/mpi_runtime.h"

namespace tf::parallel {

enum class Backend { kLocal, kMpi, kNccl };

// kNccl uses CUDA device `device` and bootstraps over MPI; kLocal requires a world of one.
// Throws tf::Error for an unavailable backend or a mismatched world, CommError on failure.
std::unique_ptr<Communicator> make_world_communicator(Backend backend, const MpiRuntime& runtime,
                                                      int device = 0);

// The communicator for tensors on `device`, bootstrapped over `world` (collective over all of
// it): NCCL for a CUDA device, null for the CPU (whose tensors `world` carries itself). Throws
// tf::Error when this build has no NCCL, CommError when it fails.
std::unique_ptr<Communicator> make_device_communicator(Communicator& world, torch::Device device);

// Aborts the process's device (NCCL) communicators from any thread, so that a hang in them ends;
// nothing in a build without NCCL.
void abort_device_communicators() noexcept;

}  // namespace tf::parallel
