#include "core/gradient_sync.h"

#include "core/error.h"

namespace tf {

void GradientSync::export_optimizer_state(torch::optim::AdamW&) {
  throw Error(name() +
              ": export_optimizer_state is not implemented: the optimizer holds its own state");
}

}  // namespace tf
