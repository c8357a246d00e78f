// What the training loop needs from the process mesh, in four narrow parts: who this rank is
// (core/topology.h), how its gradients become an optimizer step (core/gradient_sync.h, a strategy
// the context owns), how it talks to the other pipeline ranks (core/pipeline_links.h) and how the
// ranks of the job agree (core/job_agreement.h). core/ only sees these interfaces; LocalContext
// (core/local_context.h) is the single process, parallel/'s MeshContext the multi-process job.
// Training thread only; each part's header says which calls are collective and what they throw.
#pragma once

#include "core/gradient_sync.h"
#include "core/job_agreement.h"
#include "core/pipeline_links.h"
#include "core/topology.h"

namespace tf {

class ParallelContext : public Topology, public PipelineLinks, public JobAgreement {
 public:
  // The context's gradient-sync strategy (plain data parallel or ZeRO-1); lives as long as it.
  virtual GradientSync& gradient_sync() = 0;
};

}  // namespace tf
