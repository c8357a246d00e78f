// metrics.tensorboard_dir: the records of train.metrics_file as TensorBoard scalars, written by
// world rank 0 beside (or without) the metrics file, at the same steps with the same values
// (rounded to float32, TensorBoard's scalar type). Every numeric field of a record becomes a tag
// (tensorboard_tag); a resumed run rewrites the event files without the steps after its
// checkpoint (tensorboard/event_file.h, trim_after) and starts a new file, so no reader sees a step
// twice or going back (docs/operations.md, "TensorBoard").
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace tf {
namespace tensorboard {
class EventFileWriter;
}

// The tag of `field` of metrics record `record` ("kind", "step" and "wall_s" have none: empty).
// Where the run is (tokens, flops, stage_index, parameters): "progress/FIELD"; the rest
// "KIND/FIELD", with "_before_growth" appended for the validation just before a growth (it shares
// its step with the one just after).
std::string tensorboard_tag(const nlohmann::json& record, const std::string& field);

class TensorBoardLog {
 public:
  // A log that writes nothing.
  TensorBoardLog();
  // Continues the event files of `dir` at `step` (0 for a fresh run). Throws tf::Error naming
  // metrics.tensorboard_dir when the directory or its files cannot be read or written.
  TensorBoardLog(const std::string& dir, int64_t step);
  TensorBoardLog(TensorBoardLog&&) noexcept;
  TensorBoardLog& operator=(TensorBoardLog&&) noexcept;
  ~TensorBoardLog();

  // Writes the numeric fields of `record` at its step, each tag once per step (the first record
  // of a step that has it wins). False when the write failed (a full disk): nothing more is
  // written then.
  bool write(const nlohmann::json& record);
  // The file being written ("" when none).
  std::string path() const;

 private:
  std::unique_ptr<tensorboard::EventFileWriter> writer_;
  int64_t step_ = -1;                   // the step of the last write (or the resumed step)
  std::set<std::string> tags_at_step_;  // tags already written at step_
};

}  // namespace tf
