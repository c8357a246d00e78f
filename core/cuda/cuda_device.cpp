// The CUDA side of core/device.h, built only with TF_TORCH_HAS_CUDA.
#include "core/device.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>

#include "core/error.h"

namespace tf {
namespace {

// Index 0 of the allocator's stat arrays is the aggregate over its pools (StatType::AGGREGATE,
// whose namespace moved between LibTorch versions).
constexpr size_t kAggregate = 0;

}  // namespace

bool cuda_build() { return true; }

std::string cuda_version() {
  return std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10);
}

int64_t visible_gpus() { return static_cast<int64_t>(c10::cuda::device_count()); }

void make_current(torch::Device device) {
  if (device.is_cuda()) c10::cuda::set_device(device.index());
}

std::optional<DeviceMemory> device_memory(torch::Device device) {
  if (!device.is_cuda()) return std::nullopt;
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  return DeviceMemory{stats.allocated_bytes[kAggregate].peak,
                      stats.reserved_bytes[kAggregate].peak};
}

std::optional<int64_t> device_memory_budget(torch::Device device) {
  if (!device.is_cuda()) return std::nullopt;
  make_current(device);
  size_t free = 0, total = 0;
  const cudaError_t status = cudaMemGetInfo(&free, &total);
  if (status != cudaSuccess) {
    throw Error(std::string("cudaMemGetInfo on ") + device.str() + ": " +
                cudaGetErrorString(status));
  }
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  return static_cast<int64_t>(free) + stats.reserved_bytes[kAggregate].current;
}

torch::Tensor to_device(const torch::Tensor& batch, torch::Device device) {
  if (device.is_cpu()) return batch;
  return batch.pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace tf
