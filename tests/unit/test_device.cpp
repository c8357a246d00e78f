// train.device: which device a rank gets from what it can see, and the refusals that name the key.
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/device.h"
#include "core/error.h"

namespace tf {
namespace {

DeviceFacts facts(bool cuda_build, int64_t gpus, int64_t local_rank = 0, int64_t on_host = 1) {
  DeviceFacts f;
  f.cuda_build = cuda_build;
  f.gpus = gpus;
  f.local_rank = local_rank;
  f.ranks_on_host = on_host;
  return f;
}

std::string refusal(DeviceSetting setting, const DeviceFacts& f) {
  try {
    choose_device(setting, f, "run.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Device, CpuAndAutoWithoutCudaStayOnTheCpu) {
  EXPECT_EQ(choose_device(DeviceSetting::kCpu, facts(true, 8), "run.yaml"),
            torch::Device(torch::kCPU));
  EXPECT_EQ(choose_device(DeviceSetting::kAuto, facts(false, 0), "run.yaml"),
            torch::Device(torch::kCPU));
  EXPECT_EQ(choose_device(DeviceSetting::kAuto, facts(true, 0), "run.yaml"),
            torch::Device(torch::kCPU));
}

TEST(Device, OneGpuPerRankByLocalRank) {
  EXPECT_EQ(choose_device(DeviceSetting::kCuda, facts(true, 8, 3, 8), "run.yaml"),
            torch::Device("cuda:3"));
  EXPECT_EQ(choose_device(DeviceSetting::kAuto, facts(true, 4, 1, 2), "run.yaml"),
            torch::Device("cuda:1"));
}

TEST(Device, ASchedulerBoundGpuIsEachRanksDeviceZero) {
  ASSERT_EQ(setenv("CUDA_VISIBLE_DEVICES", "2", 1), 0);
  EXPECT_EQ(choose_device(DeviceSetting::kCuda, facts(true, 1, 2, 4), "run.yaml"),
            torch::Device("cuda:0"));
  unsetenv("CUDA_VISIBLE_DEVICES");
}

TEST(Device, CudaWithoutABuildOrAGpuOrWithTooFewGpusIsRefused) {
  const std::string no_build = refusal(DeviceSetting::kCuda, facts(false, 0));
  EXPECT_NE(no_build.find("run.yaml: 'train.device' is 'cuda', but this build has no CUDA"),
            std::string::npos)
      << no_build;
  const std::string no_gpu = refusal(DeviceSetting::kCuda, facts(true, 0));
  EXPECT_NE(no_gpu.find("shows no CUDA device"), std::string::npos) << no_gpu;
  unsetenv("CUDA_VISIBLE_DEVICES");
  const std::string too_many = refusal(DeviceSetting::kAuto, facts(true, 2, 0, 4));
  EXPECT_NE(too_many.find("this host runs 4 ranks of the job but shows 2 GPU(s)"),
            std::string::npos)
      << too_many;
}

TEST(Device, ThisBuildKnowsWhetherItHasCuda) {
  const DeviceFacts here = process_device_facts();
  EXPECT_EQ(here.cuda_build, cuda_build());
#ifdef TF_TORCH_HAS_CUDA
  EXPECT_TRUE(here.cuda_build);
#endif
  if (here.cuda_build) {
    EXPECT_EQ(cuda_version().rfind("13.", 0), 0u) << cuda_version();
    EXPECT_EQ(build_summary().rfind("CUDA " + cuda_version() + " build, ", 0), 0u)
        << build_summary();
  } else {
    EXPECT_EQ(build_summary(), "CPU build");
  }
  if (here.gpus == 0) {
    // A machine without a GPU or driver: auto is the CPU, cuda a refusal about the machine (a
    // CUDA build never says it has no CUDA).
    EXPECT_EQ(choose_device(DeviceSetting::kAuto, here, "run.yaml"), torch::Device(torch::kCPU));
    const std::string refused = refusal(DeviceSetting::kCuda, here);
    EXPECT_NE(refused.find(here.cuda_build ? "this machine shows no CUDA device"
                                           : "this build has no CUDA"),
              std::string::npos)
        << refused;
  }
  if (!here.cuda_build) {
    EXPECT_EQ(here.gpus, 0);
    EXPECT_FALSE(device_memory(torch::kCPU).has_value());
    const torch::Tensor batch = torch::arange(6);
    EXPECT_TRUE(to_device(batch, torch::kCPU).is_same(batch));
  }
}

}  // namespace
}  // namespace tf
