// Where each rank of the job runs (host, local rank, device) and how long its last step took:
// gathered to every rank with one small all-gather each (JobAgreement::gather_over_world), for the
// status (tf-ctl status) and the metrics of world rank 0, so that a straggling host stands out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/job_agreement.h"

namespace tf::control {

struct RankPlacement {
  std::string host;
  int64_t local_rank = 0;
  std::string device;  // "cpu", "cuda:1"
};

// Every rank's placement in world-rank order. Collective over the world; names are cut to the
// first 255 bytes of a host name and 31 of a device name.
std::vector<RankPlacement> gather_placements(JobAgreement& job, const RankPlacement& mine);

}  // namespace tf::control
