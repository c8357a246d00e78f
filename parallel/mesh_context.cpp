#include "parallel/mesh_context.h"

#include <functional>
#include <string>

#include "core/error.h"
#include "core/layout.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "core/stages.h"
#include "parallel/communicator_factory.h"
#include "parallel/world_sync.h"

namespace tf::parallel {
namespace {

Mesh checked_mesh(const Communicator& world, const Config& config) {
  const ParallelConfig& p = config.parallel;
  resolve_layout(p, world.size(), config.source);
  Mesh mesh(world.size(), p.tp, p.pp);
  const ModelConfig& m = config.model;
  const std::pair<const char*, int64_t> tokens[] = {{"model.qkv_tokens", m.qkv_tokens},
                                                    {"model.proj_tokens", m.proj_tokens},
                                                    {"model.ffn_tokens", m.ffn_tokens}};
  for (const auto& [key, count] : tokens) {
    if (count < p.tp) {
      throw Error(config.source + ": '" + key + "' (" + std::to_string(count) +
                  ") must be at least parallel.tp (" + std::to_string(p.tp) +
                  ") so that every token-parallel rank holds a shard");
    }
  }
  return mesh;
}

// What the device choice needs: the ranks whose host name hashes like this rank's, and this rank's
// index among them (under mpirun OMPI_COMM_WORLD_LOCAL_RANK, under srun SLURM_LOCALID, for the
// usual block placement; computed, so that any launcher gives the same). Collective over `world`.
DeviceFacts host_facts(Communicator& world) {
  const auto mine = static_cast<int64_t>(std::hash<std::string>{}(host_name()));
  const torch::Tensor same = world.all_gather(torch::tensor({mine}, torch::kInt64)).eq(mine);
  DeviceFacts facts = process_device_facts();
  facts.ranks_on_host = same.sum().item<int64_t>();
  facts.local_rank = same.narrow(0, 0, world.rank()).sum().item<int64_t>();
  return facts;
}

}  // namespace

MeshContext::MeshContext(Communicator& world, const Config& config, const MeshOptions& options)
    : world_(world),
      mesh_(checked_mesh(world, config)),
      zero1_(config.parallel.zero1),
      options_(options),
      host_(host_facts(world)),
      device_(take_device(config.train.device, host_, config.source)),
      device_world_(make_device_communicator(world, device_)),
      tp_(group_parent().split({static_cast<int>(world.rank() / mesh_.tp()),
                                static_cast<int>(mesh_.coords(world.rank()).tp)})),
      dp_(group_parent().split({static_cast<int>(mesh_.coords(world.rank()).pp * mesh_.tp() +
                                                 mesh_.coords(world.rank()).tp),
                                static_cast<int>(mesh_.coords(world.rank()).dp)})),
      pp_(group_parent().split({static_cast<int>(mesh_.coords(world.rank()).dp * mesh_.tp() +
                                                 mesh_.coords(world.rank()).tp),
                                static_cast<int>(mesh_.coords(world.rank()).pp)})),
      split_(layer_split(config, config.parallel)),
      ops_(*tp_) {
  const MeshCoords c = mesh_.coords(world.rank());
  TF_CHECK_EQ(tp_->rank(), c.tp);
  TF_CHECK_EQ(dp_->rank(), c.dp);
  TF_CHECK_EQ(pp_->rank(), c.pp);
}

void MeshContext::attach(TokenFormer& model, torch::optim::AdamW& optimizer,
                         const TrainConfig& train) {
  buckets_.reset();
  zero1_optimizer_.reset();
  const bool tied = mesh_.pp() > 1 && model->pipeline_layers().holds_embedding();
  tied_embedding_ = tied ? model->embedding : torch::Tensor();
  if (zero1_) {
    zero1_optimizer_ = std::make_unique<Zero1Optimizer>(*dp_, *tp_, *pp_, model, optimizer, train);
  } else if (dp_->size() > 1 || options_.buckets_for_one_replica) {  // else nothing to average
    buckets_ = std::make_unique<GradientBuckets>(*dp_, model->parameters(), options_.bucket_bytes);
  }
}

void MeshContext::export_optimizer_state(torch::optim::AdamW& optimizer) {
  if (zero1_optimizer_) zero1_optimizer_->export_state(optimizer);
}

void MeshContext::set_last_micro_batch(bool last) {
  if (buckets_) buckets_->arm(last);
}

std::optional<double> MeshContext::sharded_step(double lr) {
  if (!zero1_optimizer_) return std::nullopt;
  sum_tied_gradient();
  return zero1_optimizer_->step(lr);
}

void MeshContext::average_gradients(const std::vector<torch::Tensor>&) {
  TF_CHECK(buckets_ != nullptr || dp_->size() == 1, "average_gradients before attach");
  if (buckets_) buckets_->finish();
  sum_tied_gradient();
}

int64_t MeshContext::tied_peer() const { return pp_->rank() == 0 ? mesh_.pp() - 1 : 0; }

void MeshContext::sum_tied_gradient() {
  if (!tied_embedding_.defined()) return;
  torch::Tensor mine = tied_embedding_.grad();
  if (!mine.defined()) mine = torch::zeros_like(tied_embedding_);
  torch::Tensor theirs = torch::empty_like(mine);
  pp_->send_recv(mine, theirs, {static_cast<int>(tied_peer()), kTiedTag});
  // Both ends add the same two tensors: the copies stay bit-identical.
  if (tied_embedding_.grad().defined()) {
    tied_embedding_.mutable_grad().add_(theirs);
  } else {
    tied_embedding_.mutable_grad() = theirs;
  }
}

void MeshContext::check_tied_embedding() {
  double gap = 0;
  if (tied_embedding_.defined()) {
    const torch::Tensor mine = tied_embedding_.detach().contiguous();
    torch::Tensor theirs = torch::empty_like(mine);
    pp_->send_recv(mine, theirs, {static_cast<int>(tied_peer()), kTiedTag});
    if (!torch::equal(mine, theirs)) {
      gap = std::max((mine - theirs).abs().max().item<double>(), 1e-300);
    }
  }
  const torch::Tensor gaps = world_.all_gather(torch::tensor({gap}, torch::kFloat64));
  for (int64_t r = 0; r < gaps.numel(); ++r) {
    const double g = gaps[r].item<double>();
    if (g == 0) continue;
    throw Error(
        "the tied embedding's copies on the first and the last pipeline stage differ "
        "(rank " +
        std::to_string(r) + ": largest difference " + format("%.3e", g) +
        "); the checkpoint is not written");
  }
}

void MeshContext::exchange_with_stage(int64_t stage, const torch::Tensor& send,
                                      const torch::Tensor& recv) {
  const PeerOptions peer{static_cast<int>(stage), kActivationTag};
  torch::Tensor into = recv;
  if (send.defined() && recv.defined()) {
    pp_->send_recv(send, into, peer);
  } else if (send.defined()) {
    pp_->send(send, peer);
  } else if (recv.defined()) {
    pp_->recv(into, peer);
  }
}

std::string MeshContext::describe() const {
  std::string text = mesh_.describe() + (zero1_ ? ", ZeRO-1" : "") + " (tp innermost: ranks 0.." +
                     std::to_string(mesh_.tp() - 1) + " form the first token-parallel group)";
  if (mesh_.pp() > 1) text += "; " + split_text(split_);
  return text;
}

std::string MeshContext::broadcast_from_primary(const std::string& bytes) {
  return broadcast_bytes(world_, bytes);
}

torch::Tensor MeshContext::gather_over_world(const torch::Tensor& values) {
  return world_.all_gather(values);
}

}  // namespace tf::parallel
