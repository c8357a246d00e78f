// tf-launch --dry-run: the banner, then the plan of every stage (its layout and launch, batch
// split, and memory on the costliest rank against what a rank has, where that is known), then what
// the run would read and serve (launcher/preflight.h); no model is allocated. Rank 0 prints. The
// first check that fails throws tf::Error naming the config and the key (exit 2).
#pragma once

#include <cstdint>

#include "core/config.h"
#include "core/log.h"
#include "core/parallel_context.h"
#include "launcher/cli.h"

namespace tf {

struct DryRunOptions {
  bool enabled = false;       // --dry-run
  int64_t ranks = 0;          // --ranks N: plan N ranks from this one process; 0: the world size
  bool print_config = false;  // --print-config: the resolved config, after the plan
};

// The dry-run flags of tf-launch's command line. Throws tf::Error for --ranks or --print-config
// without --dry-run, and for --ranks in a launch of more than one rank (`world_size`): --ranks
// plans from one process, a launch under mpirun plans its own world.
DryRunOptions dry_run_options(const CommandLine& line, int64_t world_size);

// The dry run on the mesh of this launch: its world size, and what its ranks have.
int dry_run(const Config& config, const ParallelContext& context, const DryRunOptions& options,
            const Logger& log);

// The dry run for options.ranks ranks in this one process: no mesh and no device are set up; the
// memory is compared with this machine's first GPU when train.device allows one and there is one.
int dry_run_for_ranks(const Config& config, const DryRunOptions& options, const Logger& log);

}  // namespace tf
