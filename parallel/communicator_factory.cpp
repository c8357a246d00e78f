#include "parallel/communicator_factory.h"

#include "core/error.h"
#include "parallel/local_communicator.h"
#ifdef TF_HAS_NCCL
#include "parallel/nccl/nccl_communicator.h"
#endif

namespace tf::parallel {

std::unique_ptr<Communicator> make_world_communicator(Backend backend, const MpiRuntime& runtime,
                                                      int device) {
  switch (backend) {
    case Backend::kLocal:
      if (runtime.world_size() != 1) {
        throw Error("the local backend runs one process, but the job has " +
                    std::to_string(runtime.world_size()) + " ranks");
      }
      return std::make_unique<LocalCommunicator>();
    case Backend::kMpi:
      return runtime.world();
    case Backend::kNccl:
      return make_device_communicator(*runtime.world(),
                                      {torch::kCUDA, static_cast<c10::DeviceIndex>(device)});
  }
  TF_CHECK(false, "unreachable backend");
}

std::unique_ptr<Communicator> make_device_communicator(Communicator& world, torch::Device device) {
  if (device.is_cpu()) return nullptr;
#ifdef TF_HAS_NCCL
  return NcclCommunicator::create(world, device.index());
#else
  (void)world;
  throw Error("this build has no NCCL communicator for " + device.str() +
              " (configure with a CUDA LibTorch, the CUDA toolkit and NCCL present)");
#endif
}

void abort_device_communicators() noexcept {
#ifdef TF_HAS_NCCL
  NcclCommunicator::abort_all();
#endif
}

}  // namespace tf::parallel
