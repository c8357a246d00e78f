// The manifest of a checkpoint directory: everything needed to resume and to re-shard. Tensors are
// described globally (dtype, shape) together with the slices that files hold: rows [begin, end)
// along dimension 0, stored in that file under the tensor's own name. docs/checkpoints.md lists
// every field. Parsing validates structure and throws tf::Error naming the manifest and field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/data/data_record.h"
#include "core/growth_recipe.h"
#include "core/schedule.h"

namespace tf {

struct Layout {
  int64_t world = 1, dp = 1, tp = 1, pp = 1;
};

// The scalar state of a run at a step boundary.
struct RunState {
  int64_t step = 0;
  std::string stage;        // name of the current stage
  int64_t stage_index = 0;  // position in the config's stage list
  int64_t stage_start = 0;  // global step at which the current stage started
  int64_t growths = 0;      // growths so far (seeds the next one's new tokens)
  TokenFreeze freeze;       // old tokens the latest growth froze; absent in older checkpoints
  Rewarm rewarm;            // the re-warm after the latest growth in place; likewise
  double flops_spent = 0;   // training FLOPs of all steps so far
  Layout layout;
  std::string config_yaml;         // to_yaml() of the resolved config
  int64_t samples_consumed = 0;    // global data position
  std::optional<DataRecord> data;  // what it trained on; absent in checkpoints older than it
  uint64_t train_seed = 0;         // train.seed: model init and data order
  uint64_t data_seed = 0;          // data.synthetic.seed: the embedded corpus
  LrSchedule schedule;
};

struct TensorSlice {
  TensorSlice() = default;
  TensorSlice(std::string file_name, int64_t begin, int64_t end, std::string entry = "")
      : file(std::move(file_name)), row_begin(begin), row_end(end), key(std::move(entry)) {}

  std::string file;
  int64_t row_begin = 0, row_end = 0;
  std::string key;  // the entry of `file` holding these rows; empty: the tensor's own name
};

struct TensorInfo {
  std::string dtype;  // safetensors spelling
  std::vector<int64_t> shape;
  std::vector<TensorSlice> slices;
};

struct Manifest {
  static constexpr int kVersion = 1;
  RunState run;
  std::map<std::string, std::string> file_crc32;  // file name -> crc32_hex of its bytes
  std::map<std::string, TensorInfo> tensors;
};

std::string manifest_to_json(const Manifest& manifest);
// `source` names the manifest file in errors.
Manifest manifest_from_json(const std::string& text, const std::string& source);

}  // namespace tf
