// What the fuzz targets share: splitting one input into parts, writing a part to a scratch file
// for the readers that take a path, and running a reader with its tf::Error as the expected
// answer to bad input. Any other exception, a crash, a leak or undefined behaviour (the targets are
// built with ASan and UBSan) is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace tf::fuzz {

// The input cut at each NUL byte, at most `parts` parts (the last keeps any further NULs).
inline std::vector<std::string> split(const uint8_t* data, size_t size, size_t parts) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && out.size() < parts) {
      out.emplace_back();
    } else {
      out.back() += static_cast<char>(data[i]);
    }
  }
  return out;
}

// A per-process scratch path under $TMPDIR (or /tmp), for readers that open files.
inline std::string scratch_path(const std::string& suffix) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/tf-fuzz-" + std::to_string(getpid()) + suffix;
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) std::abort();  // the harness itself failed, not the reader
}

// Runs `read`; a tf::Error is the reader refusing bad input, which is what it should do.
template <typename Read>
void expect_clean(Read read) {
  try {
    read();
  } catch (const tf::Error&) {
  }
}

}  // namespace tf::fuzz
