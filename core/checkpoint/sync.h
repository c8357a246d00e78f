// How the ranks of a job agree during a checkpoint save. The defaults are the single-process
// case; parallel/ implements this over the world communicator. Every method is collective: all
// ranks call it in the same order, from the training thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tf {

class CheckpointSync {
 public:
  virtual ~CheckpointSync() = default;
  virtual int64_t rank() const { return 0; }
  virtual int64_t size() const { return 1; }
  // Every rank passes its failure message ("" when it succeeded) and gets the message of the
  // lowest failing rank ("" when none failed); also a barrier.
  virtual std::string first_failure(const std::string& mine) { return mine; }
  // Rank 0 receives every rank's string in rank order; the others receive an empty vector.
  virtual std::vector<std::string> gather(const std::string& mine) { return {mine}; }
  // Not collective: asked by each rank before it writes its file, and by rank 0 before it commits
  // the checkpoint (renames it into place and writes the completion marker). Throws tf::Error, or
  // ends the process, when this rank must write no more (its job lost the checkpoint directory,
  // or its launcher is gone).
  virtual void check_may_write() {}
};

}  // namespace tf
