#include "core/device.h"

#include <unistd.h>

#include <cstdlib>

#include "core/error.h"
#include "core/log.h"

namespace tf {

torch::Device choose_device(DeviceSetting setting, const DeviceFacts& facts,
                            const std::string& source) {
  const std::string key = source + ": 'train.device' is '" + choice_name(setting) + "'";
  if (setting == DeviceSetting::kCpu ||
      (setting == DeviceSetting::kAuto && (!facts.cuda_build || facts.gpus == 0))) {
    return torch::kCPU;
  }
  if (!facts.cuda_build) {
    throw Error(key +
                ", but this build has no CUDA (LibTorch without CUDA); rebuild against a "
                "CUDA LibTorch (docs/getting-started.md) or use 'cpu'");
  }
  if (facts.gpus == 0) {
    throw Error(key +
                ", but this machine shows no CUDA device (check nvidia-smi and "
                "CUDA_VISIBLE_DEVICES); use 'cpu' to train on the CPU");
  }
  // A scheduler that binds one GPU to each rank (srun --gpus-per-task) leaves each rank one.
  if (facts.gpus == 1 && facts.ranks_on_host > 1 && std::getenv("CUDA_VISIBLE_DEVICES")) {
    return {torch::kCUDA, 0};
  }
  if (facts.ranks_on_host > facts.gpus) {
    throw Error(key + ": this host runs " + std::to_string(facts.ranks_on_host) +
                " ranks of the job but shows " + std::to_string(facts.gpus) +
                " GPU(s); one GPU per rank is needed: start at most " + std::to_string(facts.gpus) +
                " ranks per host");
  }
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(facts.local_rank)};
}

torch::Device take_device(DeviceSetting setting, const DeviceFacts& facts,
                          const std::string& source) {
  const torch::Device device = choose_device(setting, facts, source);
  make_current(device);
  return device;
}

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

DeviceFacts process_device_facts() {
  DeviceFacts facts;
  facts.cuda_build = cuda_build();
  facts.gpus = visible_gpus();
  return facts;
}

std::string build_summary() {
  if (!cuda_build()) return "CPU build";
  const int64_t gpus = visible_gpus();
  return "CUDA " + cuda_version() + " build, " +
         (gpus == 0 ? std::string("no GPU visible") : count_of(gpus, "GPU") + " visible");
}

#ifndef TF_TORCH_HAS_CUDA
bool cuda_build() { return false; }
std::string cuda_version() { return ""; }
int64_t visible_gpus() { return 0; }
void make_current(torch::Device) {}
std::optional<DeviceMemory> device_memory(torch::Device) { return std::nullopt; }
std::optional<int64_t> device_memory_budget(torch::Device) { return std::nullopt; }
torch::Tensor to_device(const torch::Tensor& batch, torch::Device device) {
  TF_CHECK(device.is_cpu(), "a CPU build has no device ", device.str());
  return batch;
}
#endif

torch::Tensor fp64_zero(torch::Device device) {
  return torch::zeros({1}, torch::dtype(torch::kFloat64).device(device));
}

}  // namespace tf
