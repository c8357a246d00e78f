// TensorBoard event files: TFRecord framing (length, masked CRC-32C of the length, the Event
// protobuf, masked CRC-32C of the Event) around Events of scalar Summaries, the format every
// TensorBoard reader loads. No protobuf or LibTorch type appears here, so this library compiles
// against the system's protobuf without LibTorch's bundled headers. Failures throw
// std::runtime_error naming the file; callers add the configuration key.
#pragma once

#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tf::tensorboard {

struct ScalarEvent {
  int64_t step = 0;
  double wall_time = 0;                               // seconds since the Unix epoch
  std::vector<std::pair<std::string, float>> values;  // tag, value
};

// Whether this build writes event files (it was configured with protobuf); when not, every other
// function throws, saying so.
bool available();

// Whether TensorBoard takes `file_name` (no directory) for an event file.
bool is_event_file(const std::string& file_name);

// The event files in `dir`, sorted by name: the order TensorBoard reads them in.
std::vector<std::string> event_files(const std::string& dir);

// The scalar events of `path` in file order. A torn record at the end (a crash mid-write) ends
// the list; a record whose checksum fails elsewhere throws.
std::vector<ScalarEvent> read_scalar_events(const std::string& path);

// Makes `dir` (and its parents) hold no event of a step after `last_step` and no torn record, for
// a run resuming at `last_step`. A file that held such records is rewritten without them; the
// file as it was is kept beside it under a name TensorBoard does not read ("tfevents" becomes
// "superseded"). Returns the tags already recorded at `last_step`.
std::set<std::string> trim_after(const std::string& dir, int64_t last_step);

class EventFileWriter {
 public:
  // A new event file in `dir` (created if missing), named as TensorBoard's own writers name
  // theirs, after every event file already there, and starting with the file-version event.
  explicit EventFileWriter(const std::string& dir);
  const std::string& path() const { return path_; }
  // Appends `event` and flushes it; false when the write failed (a full disk).
  bool write(const ScalarEvent& event);

 private:
  bool append(const std::string& serialized_event);

  std::string path_;
  std::ofstream out_;
};

}  // namespace tf::tensorboard
