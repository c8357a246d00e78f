// Files for the data pipeline: a read-only memory map and a write-only output file. The one place
// errno becomes tf::Error ("PATH: what: strerror"). Both are RAII: the destructor unmaps / closes
// and never throws.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace tf {

[[noreturn]] void throw_errno(const std::string& path, const std::string& what);

// Maps a whole file read-only; an empty file maps to nothing (data() is null, size() 0).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  int64_t size_ = 0;
};

// Creates (truncates) `path` for writing. close() flushes, fsyncs and reports errors; a file
// destroyed without close() is closed silently (the caller removes it).
class OutputFile {
 public:
  explicit OutputFile(std::string path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* data, size_t bytes);
  void close();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace tf
