// The start-up banner: versions, threads, layout, model sizes, parameter count, FLOPs, stages and
// batch.
#pragma once

#include "core/config.h"
#include "core/log.h"
#include "core/parallel_context.h"

namespace tf {

// `model`: the model as it is now (the first stage's sizes at a fresh start, the checkpoint's
// after a resume).
void log_banner(const Config& config, const ModelConfig& model, const ParallelContext& context,
                const Logger& log);

// The banner of a process that runs no mesh (a dry run that plans another rank count): the lines
// of log_banner that do not depend on the mesh, without the layout and the batch.
void log_model_banner(const Config& config, const ModelConfig& model, const Logger& log);

}  // namespace tf
