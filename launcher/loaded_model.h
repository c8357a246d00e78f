// The model that tf-launch eval and generate run: --config's sizes, with the weights of
// --checkpoint DIR or --init-from PATH (an authors'-layout .safetensors file or a Hugging Face
// export directory), on train.device.
#pragma once

#include "core/config.h"
#include "core/model.h"
#include "launcher/cli.h"

namespace tf {

// tf::Error naming the file and tensor when the weights are not a model of the config's sizes.
TokenFormer load_model(const Config& config, const CommandLine& line);

}  // namespace tf
