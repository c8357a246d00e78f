// ZeRO-1 as a gradient-sync strategy: the tied embedding's gradients summed
// (parallel/tied_embedding.h), then parallel/zero1_optimizer.h's step (reduce-scatter, global norm
// and clipping, this rank's share of the update, all-gather). The optimizer state lives here
// between attach() and the next; export_optimizer_state writes it back. The groups and `tied` must
// outlive it; training thread only; throws CommError on a failed collective.
#pragma once

#include <memory>

#include "core/gradient_sync.h"
#include "parallel/communicator.h"
#include "parallel/tied_embedding.h"
#include "parallel/zero1_optimizer.h"

namespace tf::parallel {

class Zero1Sync : public GradientSync {
 public:
  Zero1Sync(Communicator& dp, Communicator& tp, Communicator& pp, TiedEmbedding& tied)
      : dp_(dp), tp_(tp), pp_(pp), tied_(tied) {}

  std::string name() const override { return "ZeRO-1"; }
  void attach(TokenFormer& model, torch::optim::AdamW& optimizer,
              const TrainConfig& train) override;
  void set_last_micro_batch(bool) override {}  // gradients are reduced in step()
  SyncedStep step(const StepRequest& request) override;
  bool owns_optimizer_state() const override { return true; }
  void export_optimizer_state(torch::optim::AdamW& optimizer) override;

 private:
  Communicator& dp_;
  Communicator& tp_;
  Communicator& pp_;
  TiedEmbedding& tied_;
  std::unique_ptr<Zero1Optimizer> optimizer_;
};

}  // namespace tf::parallel
