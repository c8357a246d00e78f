// What a dry run checks beyond the config itself, so that a dry run that passes means the run
// will start: every file the run reads exists and reads back, and what it writes and serves can
// be written and served. Each failure is a tf::Error naming the config file and key.
#pragma once

#include "core/config.h"

namespace tf {

// data.train and data.valid (opened and validated as the trainer opens them: the index against
// the .bin's size, enough tokens for seq_len; token ids are checked as training reads them, and
// on demand by tf-data check), data.tokenizer, model.init_from (exists; a checkpoint step
// directory is complete) and checkpoint.dir (writable, or creatable).
void check_run_inputs(const Config& config);

}  // namespace tf
