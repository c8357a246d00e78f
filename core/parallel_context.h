// What the training loop needs from the process mesh. core/ only sees this interface; LocalContext
// is the single-process case (every default below), parallel/ implements it over communicators.
//
// All methods are called from the training thread. "Collective" means every rank of the named
// group calls it in the same order at the same point of the loop, and it blocks until they all
// have. Collectives throw what the backend throws on failure (parallel/'s CommError, naming the
// rank, the operation and the sizes); nothing else here throws.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/model.h"
#include "core/token_parallel.h"

namespace tf {

class ParallelContext {
 public:
  virtual ~ParallelContext() = default;

  // --- Where this rank is (local queries; never block) ---------------------------------------
  virtual int64_t world_rank() const { return 0; }
  virtual int64_t world_size() const { return 1; }
  virtual int64_t dp_rank() const { return 0; }
  virtual int64_t dp_size() const { return 1; }
  // This rank's pipeline stage and the number of stages (parallel.pp).
  virtual int64_t pp_rank() const { return 0; }
  virtual int64_t pp_size() const { return 1; }
  // Ranks of the job on this rank's host (itself included): they share its memory.
  virtual int64_t ranks_on_host() const { return 1; }
  // Where this rank's parameters, gradients, optimizer state and batches live (train.device).
  virtual torch::Device device() const { return torch::kCPU; }
  // The token-parallel group of this rank (tp_rank/tp_size are its rank/size); its methods are
  // collective over that group.
  virtual const TokenParallelOps& token_ops() const { return local_ops_; }
  // One line for the banner, e.g. "world 4 = dp 2 x pp 1 x tp 2".
  virtual std::string describe() const { return "world 1 = dp 1 x pp 1 x tp 1 (single process)"; }

  // --- Gradient synchronisation (collective over the data-parallel group) ---------------------
  // Called by the trainer once the model and its optimizer exist with their final values and state
  // (again whenever they are rebuilt or restored) and before the first backward: a context may
  // hook the parameters' gradients here, and ZeRO-1 takes over the optimizer's state. Local.
  virtual void attach(TokenFormer& model, torch::optim::AdamW& optimizer,
                      const TrainConfig& train) {
    (void)model;
    (void)optimizer;
    (void)train;
  }
  // Called before each backward; `last` marks the last micro batch of an optimizer step, after
  // whose backward the gradients are complete and may be synchronised (the hooks of that backward
  // start collectives). Local.
  virtual void set_last_micro_batch(bool last) { (void)last; }
  // Averages the gradients of `params` over the data-parallel group (after the last backward of
  // an optimizer step), and under pipelining sums the tied embedding's two gradients over the
  // first and the last stage. Collective.
  virtual void average_gradients(const std::vector<torch::Tensor>& params) { (void)params; }

  // --- ZeRO-1 (collective over the data-parallel group) ---------------------------------------
  // Reduces the gradients (the tied embedding's over its two stages too), clips them to
  // train.grad_clip with the norm over every stage, updates the parameters (AdamW at `lr`,
  // optimizer state sharded over the data-parallel group) and gathers them; returns the gradient
  // norm before clipping. nullopt, without communicating: no ZeRO-1, the trainer averages, clips
  // and steps its own optimizer.
  virtual std::optional<double> sharded_step(double lr) {
    (void)lr;
    return std::nullopt;
  }
  // Writes the sharded optimizer state back into `optimizer`'s per-parameter state (for a
  // checkpoint, or to carry moments through growth). Collective.
  virtual void export_optimizer_state(torch::optim::AdamW& optimizer) { (void)optimizer; }
  // True when the context keeps the optimizer state itself (ZeRO-1): what export_optimizer_state
  // wrote is a copy the trainer drops after use. Local.
  virtual bool owns_optimizer_state() const { return false; }

  // --- Pipeline: this rank and the ranks of the other stages that hold the same token shard and
  // data-parallel replica ----------------------------------------------------------------------
  // Sends `send` to pipeline stage `stage` and receives into `recv` (allocated, any dtype, on
  // device()) from it, both at once, so that two stages sending to each other cannot deadlock;
  // an undefined tensor is not sent or not received. That stage makes the mirror call.
  virtual void exchange_with_stage(int64_t stage, const torch::Tensor& send,
                                   const torch::Tensor& recv) {
    (void)stage;
    (void)send;
    (void)recv;
    throw Error("exchange_with_stage: a single process has no other pipeline stage");
  }
  // Throws tf::Error on every rank when the first and the last stage's copies of the tied
  // embedding differ anywhere in the job (checked at every checkpoint save). Collective over the
  // world.
  virtual void check_tied_embedding() {}

  // --- Reductions of small fp64 tensors on device(), in place ---------------------------------
  virtual void sum_over_dp(torch::Tensor& values) { (void)values; }  // collective over dp
  virtual void sum_over_tp(torch::Tensor& values) { (void)values; }  // collective over tp
  virtual void sum_over_pp(torch::Tensor& values) { (void)values; }  // collective over pp

  // --- Job-wide agreement (collective over the world) -----------------------------------------
  // Returns world rank 0's `bytes` on every rank (the other ranks' argument is ignored). Carries
  // control commands so that every rank applies them at the same step.
  virtual std::string broadcast_from_primary(const std::string& bytes) { return bytes; }
  // Every rank's `values` (1-D, the same length and dtype on every rank) concatenated in
  // world-rank order, on every rank. Carries per-rank figures to the metrics, and lets every rank
  // see which ranks cannot grow the model, so that all decide alike.
  virtual torch::Tensor gather_over_world(const torch::Tensor& values) { return values; }

 private:
  TokenParallelOps local_ops_;
};

using LocalContext = ParallelContext;

}  // namespace tf
