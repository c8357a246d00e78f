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
#include "parallel/zero1_sync.h"

namespace tf::parallel {
namespace {

Mesh checked_mesh(const Communicator& world, const Config& config) {
  const ParallelConfig& p = config.parallel;
  resolve_layout(p, world.size(), config.source);
  Mesh mesh(world.size(), p.tp, p.pp);
  check_token_shards(config.model, p.tp, config.source, "model.");
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
      ops_(*tp_),
      tied_(*pp_, world_) {
  const MeshCoords c = mesh_.coords(world.rank());
  TF_CHECK_EQ(tp_->rank(), c.tp);
  TF_CHECK_EQ(dp_->rank(), c.dp);
  TF_CHECK_EQ(pp_->rank(), c.pp);
  if (config.parallel.zero1) {
    sync_ = std::make_unique<Zero1Sync>(*dp_, *tp_, *pp_, tied_);
  } else {
    auto bucketed = std::make_unique<BucketedSync>(
        *dp_, *tp_, *pp_, tied_, device_,
        BucketOptions{options.bucket_bytes, options.buckets_for_one_replica});
    bucketed_ = bucketed.get();
    sync_ = std::move(bucketed);
  }
}

void MeshContext::exchange_with_pp_rank(int64_t pp_rank, const torch::Tensor& send,
                                        const torch::Tensor& recv) {
  const PeerOptions peer{static_cast<int>(pp_rank), kActivationTag};
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
  std::string text = mesh_.describe() + (sync_->owns_optimizer_state() ? ", ZeRO-1" : "") +
                     " (tp innermost: ranks 0.." + std::to_string(mesh_.tp() - 1) +
                     " form the first token-parallel group)";
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
