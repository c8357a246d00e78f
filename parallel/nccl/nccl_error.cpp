#include "parallel/nccl/nccl_error.h"

namespace tf::parallel {

void throw_nccl_error(ncclResult_t result, const char* call, const char* file, int line,
                      const std::string& what) {
  throw CommError(std::string(file) + ":" + std::to_string(line) + ": " + what + ": " + call +
                  " failed: NCCL error " + std::to_string(result) + ": " +
                  ncclGetErrorString(result));
}

void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line,
                      const std::string& what) {
  throw CommError(std::string(file) + ":" + std::to_string(line) + ": " + what + ": " + call +
                  " failed: CUDA error " + std::to_string(error) + ": " +
                  cudaGetErrorString(error));
}

}  // namespace tf::parallel
