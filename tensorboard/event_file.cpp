#include "tensorboard/event_file.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "tensorboard/crc32c.h"
#include "tensorboard/event.pb.h"

namespace tf::tensorboard {

using ::tokenformer::tensorboard::Event;
using ::tokenformer::tensorboard::Summary;

namespace {

namespace fs = std::filesystem;

constexpr const char* kFileVersion = "brain.Event:2";

std::string framed(const std::string& data) {
  std::string record;
  record.reserve(data.size() + 16);
  const uint64_t length = data.size();
  char header[8];
  for (int i = 0; i < 8; ++i) header[i] = char((length >> (8 * i)) & 0xFF);
  const auto put_u32 = [&](uint32_t value) {
    for (int i = 0; i < 4; ++i) record.push_back(char((value >> (8 * i)) & 0xFF));
  };
  record.append(header, 8);
  put_u32(masked_crc32c(header, 8));
  record += data;
  put_u32(masked_crc32c(data.data(), data.size()));
  return record;
}

uint64_t load_le(const char* p, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return value;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The records of `bytes` (the contents of `path`) up to a torn end; a checksum failure before the
// end throws.
std::vector<std::string> records_of(const std::string& bytes, const std::string& path) {
  std::vector<std::string> records;
  size_t at = 0;
  while (bytes.size() - at >= 12) {
    const uint64_t length = load_le(bytes.data() + at, 8);
    if (uint32_t(load_le(bytes.data() + at + 8, 4)) != masked_crc32c(bytes.data() + at, 8)) {
      throw std::runtime_error(path + ": the record at byte " + std::to_string(at) +
                               " fails its length checksum: not an intact event file");
    }
    if (length > bytes.size() - at - 16) break;  // torn
    const char* data = bytes.data() + at + 12;
    if (uint32_t(load_le(data + length, 4)) != masked_crc32c(data, length)) {
      if (at + 16 + length == bytes.size()) break;  // torn in its last bytes
      throw std::runtime_error(path + ": the record at byte " + std::to_string(at) +
                               " fails its data checksum: not an intact event file");
    }
    records.emplace_back(data, length);
    at += 16 + length;
  }
  return records;
}

Event parsed(const std::string& record, const std::string& path) {
  Event event;
  if (!event.ParseFromString(record)) {
    throw std::runtime_error(path + ": a record is not a TensorBoard Event");
  }
  return event;
}

std::string host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0 || !name[0]) return "localhost";
  return name;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// events.out.tfevents.SECONDS.HOST.PID.0, as TensorBoard's writers name theirs; where that would
// not sort after every event file already in `dir` (a clock set back, a launch within the second
// of the last), the last file's name with ".PID" appended, which does.
std::string new_file_name(const std::string& dir) {
  char stamp[32];
  std::snprintf(stamp, sizeof(stamp), "%010lld", (long long)now_seconds());
  const std::string pid = std::to_string(getpid());
  const std::string name =
      std::string("events.out.tfevents.") + stamp + "." + host_name() + "." + pid + ".0";
  const std::vector<std::string> existing = event_files(dir);
  if (existing.empty()) return name;
  const std::string last = fs::path(existing.back()).filename().string();
  return name > last ? name : last + "." + pid;
}

}  // namespace

bool available() { return true; }

bool is_event_file(const std::string& file_name) {
  return file_name.find("tfevents") != std::string::npos;
}

std::vector<std::string> event_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file() && is_event_file(entry.path().filename().string())) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<ScalarEvent> read_scalar_events(const std::string& path) {
  std::vector<ScalarEvent> events;
  for (const std::string& record : records_of(read_whole(path), path)) {
    const Event event = parsed(record, path);
    if (!event.has_summary()) continue;
    ScalarEvent scalars{event.step(), event.wall_time(), {}};
    for (const auto& value : event.summary().value()) {
      scalars.values.emplace_back(value.tag(), value.simple_value());
    }
    events.push_back(std::move(scalars));
  }
  return events;
}

std::set<std::string> trim_after(const std::string& dir, int64_t last_step) {
  std::set<std::string> tags_at_last;
  for (const std::string& path : event_files(dir)) {
    const std::string bytes = read_whole(path);
    std::string kept;
    size_t kept_records = 0;
    const std::vector<std::string> records = records_of(bytes, path);
    for (const std::string& record : records) {
      const Event event = parsed(record, path);
      if (event.has_summary() && event.step() > last_step) continue;
      if (event.has_summary() && event.step() == last_step) {
        for (const auto& value : event.summary().value()) tags_at_last.insert(value.tag());
      }
      kept += framed(record);
      ++kept_records;
    }
    if (kept.size() == bytes.size()) continue;
    const fs::path file(path);
    std::string superseded = file.filename().string();
    superseded.replace(superseded.find("tfevents"), 8, "superseded");
    const std::string backup = (file.parent_path() / superseded).string();
    const std::string partial = (file.parent_path() / ".trimming").string();
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      out << kept;
      out.close();
      if (!out) throw std::runtime_error(partial + ": cannot write");
    }
    if (std::rename(path.c_str(), backup.c_str()) != 0 ||
        std::rename(partial.c_str(), path.c_str()) != 0) {
      throw std::runtime_error(path + ": cannot replace it by its first " +
                               std::to_string(kept_records) + " records (as it was: " + backup +
                               ")");
    }
  }
  return tags_at_last;
}

EventFileWriter::EventFileWriter(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw std::runtime_error(dir + ": cannot create the directory: " + error.message());
  path_ = (fs::path(dir) / new_file_name(dir)).string();
  out_.open(path_, std::ios::binary | std::ios::app);
  Event version;
  version.set_wall_time(now_seconds());
  version.set_file_version(kFileVersion);
  if (!out_ || !append(version.SerializeAsString())) {
    throw std::runtime_error(path_ + ": cannot write");
  }
}

bool EventFileWriter::write(const ScalarEvent& scalars) {
  Event event;
  event.set_wall_time(scalars.wall_time);
  event.set_step(scalars.step);
  for (const auto& [tag, value] : scalars.values) {
    Summary::Value* entry = event.mutable_summary()->add_value();
    entry->set_tag(tag);
    entry->set_simple_value(value);
  }
  return append(event.SerializeAsString());
}

bool EventFileWriter::append(const std::string& serialized_event) {
  out_ << framed(serialized_event) << std::flush;
  return bool(out_);
}

}  // namespace tf::tensorboard
