// The one place for CUDA build differences of the NCCL backend. With a CUDA LibTorch
// (TF_TORCH_HAS_CUDA, set by CMake) collectives order themselves after LibTorch's current stream;
// with a CPU LibTorch (CI) that stream is unknown and PyTorch's default, the legacy stream, is
// used.
#pragma once

#include <cuda_runtime.h>

#ifdef TF_TORCH_HAS_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace tf::parallel::cuda_compat {

// The stream LibTorch's kernels for `device` run on; callers must have made `device` current.
inline cudaStream_t torch_stream(int device) {
#ifdef TF_TORCH_HAS_CUDA
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream();
#else
  (void)device;
  return cudaStreamLegacy;
#endif
}

}  // namespace tf::parallel::cuda_compat
