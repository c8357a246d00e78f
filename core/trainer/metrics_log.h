// train.metrics_file: one JSON object per line (JSON Lines) per logged step and per validation,
// written by world rank 0 and flushed with every line, so a crash loses at most the line being
// written. Fields are documented in docs/configuration.md ("Metrics file").
#pragma once

#include <cstdint>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace tf {

class MetricsLog {
 public:
  // A log that writes nothing (no path, or not rank 0).
  MetricsLog() = default;
  // Opens `path` to continue a run at `step` (0 for a fresh run). Lines of steps after `step`
  // (from a run that went on past its last checkpoint, or an earlier run) and a torn last line
  // are dropped: the file as it was is kept as `path`.bak and the kept lines are written anew.
  // Throws tf::Error naming the file when it cannot be read or written, or holds a line that is
  // not a metrics record.
  MetricsLog(const std::string& path, int64_t step);

  // Appends `record` (which has "kind" and "step"), with "wall_s": seconds since the run first
  // started, continued across resumes. A kind (of a stage) already in the file for the resumed
  // step is not written again. False when the write failed (a full disk): the log then writes
  // nothing more.
  bool write(nlohmann::json record);

 private:
  std::string path_;
  std::ofstream out_;
  int64_t resumed_step_ = 0;
  std::set<std::string> kinds_at_resumed_step_;  // "kind/stage" of the records at resumed_step_
  double wall_offset_ = 0;  // the wall_s of the last line kept from before the resume
  double started_ = 0;      // steady-clock seconds when this log was opened
};

}  // namespace tf
