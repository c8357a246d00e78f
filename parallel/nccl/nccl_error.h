// The one place NCCL and CUDA error codes become CommError, with the library's own message and
// the call context (rank, op, dtype, sizes) built by the caller only on failure.
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include <string>

#include "parallel/communicator.h"

namespace tf::parallel {

[[noreturn]] void throw_nccl_error(ncclResult_t result, const char* call, const char* file,
                                   int line, const std::string& what);
[[noreturn]] void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line,
                                   const std::string& what);

// ncclInProgress counts as success: non-blocking communicators report completion asynchronously.
#define TF_NCCL_CHECK(call, what)                                                             \
  do {                                                                                        \
    const ncclResult_t tf_nccl_result_ = (call);                                              \
    if (tf_nccl_result_ != ncclSuccess && tf_nccl_result_ != ncclInProgress)                  \
      ::tf::parallel::throw_nccl_error(tf_nccl_result_, #call, __FILE__, __LINE__, (what)()); \
  } while (0)

#define TF_CUDA_CHECK(call, what)                                                            \
  do {                                                                                       \
    const cudaError_t tf_cuda_error_ = (call);                                               \
    if (tf_cuda_error_ != cudaSuccess)                                                       \
      ::tf::parallel::throw_cuda_error(tf_cuda_error_, #call, __FILE__, __LINE__, (what)()); \
  } while (0)

}  // namespace tf::parallel
