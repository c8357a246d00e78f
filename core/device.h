// Where a rank's tensors live (train.device) and what its accelerator reports. The CUDA parts are
// in core/cuda/, built with a CUDA LibTorch (the one from the package index, also on machines
// without a GPU); without them a build knows only the CPU.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "core/config_choices.h"

namespace tf {

// What the device choice depends on, gathered by the caller (choose_device is pure).
struct DeviceFacts {
  bool cuda_build = false;  // LibTorch and this program were built with CUDA
  int64_t gpus = 0;         // CUDA devices this process sees
  int64_t local_rank = 0;   // the rank's index among the job's ranks on its host
  int64_t ranks_on_host = 1;
};

// The device for `setting` (train.device): cuda:<local_rank> for CUDA, or
// cuda:0 when the scheduler made one GPU visible to each rank. Throws tf::Error, naming `source`,
// for `cuda` without a CUDA build or a GPU, and for more ranks on the host than GPUs.
torch::Device choose_device(DeviceSetting setting, const DeviceFacts& facts,
                            const std::string& source);

// choose_device, then makes the device current (make_current): what a process calls once.
torch::Device take_device(DeviceSetting setting, const DeviceFacts& facts,
                          const std::string& source);

// Whether this build has CUDA (core/cuda/ is compiled in), the CUDA runtime version it was built
// against ("13.0"; "" without CUDA), and how many GPUs this process sees (0 on a machine without a
// GPU or a driver).
bool cuda_build();
std::string cuda_version();
int64_t visible_gpus();
// For the banner: "CUDA 13.0 build, no GPU visible", "CUDA 13.0 build, 8 GPUs visible" or
// "CPU build".
std::string build_summary();
// The facts of this process as if it ran alone on its host (a multi-rank job sets the rank
// fields from its mesh).
DeviceFacts process_device_facts();

// This machine's name (gethostname): what ranks group by into ranks_on_host, and what fault
// reports name.
std::string host_name();

// Makes `device` the current CUDA device of the calling thread (nothing for the CPU).
void make_current(torch::Device device);

// Peak bytes of the caching allocator since the start: what tensors held
// (allocated) and what the allocator took from the driver (reserved). nullopt on the CPU.
struct DeviceMemory {
  int64_t peak_allocated = 0;
  int64_t peak_reserved = 0;
};
std::optional<DeviceMemory> device_memory(torch::Device device);
// Bytes this process can use on the device: its free memory plus what the caching allocator
// holds already (the model that runs now counts in what a memory estimate needs); nullopt on the
// CPU.
std::optional<int64_t> device_memory_budget(torch::Device device);

// `batch` (CPU) on `device`: through pinned memory and a copy that does not block the host for a
// CUDA device; `batch` itself for the CPU.
torch::Tensor to_device(const torch::Tensor& batch, torch::Device device);

// A one-element fp64 zero on `device`: where sums that are read back once per step start.
torch::Tensor fp64_zero(torch::Device device);

}  // namespace tf
