// The start-up banner (versions, threads, layout, model sizes, parameter count, FLOPs, batch), and
// the memory plan that --dry-run prints.
#pragma once

#include "core/config.h"
#include "core/log.h"
#include "core/parallel_context.h"

namespace tf {

// `model`: the model as it is now (the first stage's sizes at a fresh start, the checkpoint's
// after a resume).
void log_banner(const Config& config, const ModelConfig& model, const ParallelContext& context,
                const Logger& log);

// For every stage, the estimated bytes per rank (core/memory_estimate.h) with the config's
// activation checkpointing and with the other setting, and whether it fits what this rank has.
// Allocates nothing.
void log_memory_plan(const Config& config, const ParallelContext& context, const Logger& log);

}  // namespace tf
