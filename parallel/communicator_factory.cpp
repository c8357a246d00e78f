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
#ifdef TF_HAS_NCCL
      return NcclCommunicator::create(*runtime.world(), device);
#else
      (void)device;
      throw Error("this build has no NCCL backend (configure with CUDA and NCCL present)");
#endif
  }
  TF_CHECK(false, "unreachable backend");
}

}  // namespace tf::parallel
