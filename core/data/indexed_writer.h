// Writes a Megatron / GPT-NeoX indexed dataset (mmidx_format.h), one sequence per document.
// Output goes to PREFIX.bin.partial / PREFIX.idx.partial and is renamed to the final names only by
// finish(), so an interrupted or failed write never leaves a dataset under the final name; the
// destructor removes the partial files when finish() was not reached. I/O errors throw tf::Error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/data/posix_file.h"

namespace tf {

class IndexedDatasetWriter {
 public:
  // Tokens are stored as uint16 when vocab_size < 65500, else int32.
  IndexedDatasetWriter(std::string prefix, int64_t vocab_size);
  ~IndexedDatasetWriter();
  IndexedDatasetWriter(const IndexedDatasetWriter&) = delete;
  IndexedDatasetWriter& operator=(const IndexedDatasetWriter&) = delete;

  // Precondition: every id in [0, vocab_size).
  void add_document(const std::vector<int32_t>& tokens);
  // Writes the index, fsyncs both files and renames them to PREFIX.bin / PREFIX.idx.
  void finish();

  int64_t documents() const { return static_cast<int64_t>(lengths_.size()); }
  int64_t tokens() const { return tokens_; }
  uint8_t dtype_code() const { return dtype_; }

 private:
  std::string prefix_;
  int64_t vocab_size_;
  uint8_t dtype_;
  std::unique_ptr<OutputFile> bin_;
  std::vector<int32_t> lengths_;
  int64_t tokens_ = 0;
  bool finished_ = false;
  std::vector<uint8_t> buffer_;
};

}  // namespace tf
