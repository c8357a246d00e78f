// The event-file functions of a build configured without protobuf: each says so.
#include <stdexcept>

#include "tensorboard/event_file.h"

namespace tf::tensorboard {
namespace {

[[noreturn]] void unavailable() {
  throw std::runtime_error(
      "this build writes no TensorBoard event files: protobuf was not found when it was "
      "configured (install libprotobuf-dev and protobuf-compiler, then configure again)");
}

}  // namespace

bool available() { return false; }
bool is_event_file(const std::string& file_name) {
  return file_name.find("tfevents") != std::string::npos;
}
std::vector<std::string> event_files(const std::string&) { unavailable(); }
std::vector<ScalarEvent> read_scalar_events(const std::string&) { unavailable(); }
std::set<std::string> trim_after(const std::string&, int64_t) { unavailable(); }
EventFileWriter::EventFileWriter(const std::string&) { unavailable(); }
bool EventFileWriter::write(const ScalarEvent&) { unavailable(); }
bool EventFileWriter::append(const std::string&) { unavailable(); }

}  // namespace tf::tensorboard
