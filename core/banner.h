// The start-up banner: versions, threads, layout, model sizes, parameter count, FLOPs, batch.
#pragma once

#include "core/config.h"
#include "core/log.h"
#include "core/parallel_context.h"

namespace tf {

void log_banner(const Config& config, const ParallelContext& context, const Logger& log);

}  // namespace tf
