// The job-wide agreements core/ asks for, over the world communicator: checkpoint saves
// (CheckpointSync) and the control command broadcast. Collective: every rank calls the same
// methods in the same order from its training thread.
#pragma once

#include <string>
#include <vector>

#include "core/checkpoint/sync.h"
#include "parallel/communicator.h"

namespace tf::parallel {

class WorldCheckpointSync : public CheckpointSync {
 public:
  explicit WorldCheckpointSync(Communicator& world) : world_(world) {}
  int64_t rank() const override { return world_.rank(); }
  int64_t size() const override { return world_.size(); }
  std::string first_failure(const std::string& mine) override;
  std::vector<std::string> gather(const std::string& mine) override;

 private:
  Communicator& world_;
};

// World rank 0's `bytes` on every rank.
std::string broadcast_bytes(Communicator& world, const std::string& bytes);

}  // namespace tf::parallel
