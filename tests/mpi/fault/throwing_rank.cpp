// Fault probe: every rank trains the tiny model through tf-launch's error path (run_rank); after
// two steps the last rank throws while the others go on into the next step's collectives. The job
// must end non-zero within seconds (expect_abort.sh checks), not hang. With the argument `comm`
// the failure is a CommError, which ends the job with status 4 (communication failure).
#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "core/config.h"
#include "core/log.h"
#include "core/trainer/trainer.h"
#include "parallel/mesh_context.h"
#include "parallel/mpi_runtime.h"
#include "parallel/rank_main.h"

int main(int argc, char** argv) {
  const tf::parallel::MpiRuntime runtime(&argc, &argv);
  at::set_num_threads(1);
  return tf::parallel::run_rank(runtime, "throwing_rank", [&] {
    const tf::Config config = tf::load_config(
        std::string(TF_SOURCE_DIR) + "/configs/tiny.yaml",
        {"model.hidden_size=32", "model.num_layers=1", "model.seq_len=16", "train.steps=1000",
         "train.global_batch=" + std::to_string(2 * runtime.world_size()), "train.micro_batch=2"});
    const auto world = runtime.world();
    tf::parallel::MeshContext context(*world, config);
    const tf::Logger log(runtime.world_rank());
    tf::Trainer trainer(config, context, log);
    for (int step = 0; step < 1000; ++step) {
      if (step == 2 && runtime.world_rank() == runtime.world_size() - 1) {
        if (argc > 1 && std::string(argv[1]) == "comm") {
          throw tf::parallel::CommError("injected: all_reduce on rank " +
                                        std::to_string(runtime.world_rank()) + ": peer lost");
        }
        throw std::runtime_error("injected failure at step 3");
      }
      trainer.train_step();
    }
    return 0;  // reached only if the peers never noticed
  });
}
