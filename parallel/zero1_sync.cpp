#include "parallel/zero1_sync.h"

#include <chrono>

#include "core/error.h"

namespace tf::parallel {

void Zero1Sync::attach(TokenFormer& model, torch::optim::AdamW& optimizer,
                       const TrainConfig& train) {
  optimizer_.reset();
  tied_.attach(model);
  optimizer_ = std::make_unique<Zero1Optimizer>(dp_, tp_, pp_, model, optimizer, train);
}

SyncedStep Zero1Sync::step(const StepRequest& request) {
  TF_CHECK(optimizer_ != nullptr, name() + ": step before attach");
  const auto start = std::chrono::steady_clock::now();
  tied_.sum_gradients();
  SyncedStep result;
  result.grad_norm = optimizer_->step(request.lr, request.frozen);
  result.comm_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

void Zero1Sync::export_optimizer_state(torch::optim::AdamW& optimizer) {
  if (optimizer_) optimizer_->export_state(optimizer);
}

}  // namespace tf::parallel
