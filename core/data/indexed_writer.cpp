#include "core/data/indexed_writer.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include "core/data/mmidx_format.h"
#include "core/error.h"

namespace tf {
namespace {

template <typename T>
void append(std::vector<uint8_t>& out, T value) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

void rename_or_throw(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw_errno(to, "cannot rename " + from + " to it");
}

// The first file of `prefix`, in its directory, created when missing (as `tf-data build --output
// data/corpus` is meant).
std::unique_ptr<OutputFile> open_first_file(const std::string& prefix) {
  const std::filesystem::path directory = std::filesystem::path(prefix).parent_path();
  std::error_code error;
  if (!directory.empty() && !std::filesystem::is_directory(directory)) {
    std::filesystem::create_directories(directory, error);
    if (error) {
      throw Error(directory.string() + ": cannot create the directory: " + error.message());
    }
  }
  return std::make_unique<OutputFile>(prefix + ".bin.partial");
}

}  // namespace

IndexedDatasetWriter::IndexedDatasetWriter(std::string prefix, int64_t vocab_size)
    : prefix_(std::move(prefix)),
      vocab_size_(vocab_size),
      dtype_(mmidx::dtype_for_vocab(vocab_size)),
      bin_(open_first_file(prefix_)) {}

IndexedDatasetWriter::~IndexedDatasetWriter() {
  if (finished_) return;
  bin_.reset();
  std::remove((prefix_ + ".bin.partial").c_str());
  std::remove((prefix_ + ".idx.partial").c_str());
}

void IndexedDatasetWriter::add_document(const std::vector<int32_t>& tokens) {
  TF_CHECK(!finished_, prefix_, ": document added after finish()");
  if (tokens.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error(prefix_ + ": document " + std::to_string(documents()) + " has " +
                std::to_string(tokens.size()) + " tokens, more than the format's int32 length");
  }
  buffer_.clear();
  for (int32_t id : tokens) {
    TF_CHECK(id >= 0 && id < vocab_size_, "token id ", id, " outside [0, ", vocab_size_, ")");
    if (dtype_ == mmidx::kUint16) {
      append(buffer_, static_cast<uint16_t>(id));
    } else {
      append(buffer_, id);
    }
  }
  bin_->write(buffer_.data(), buffer_.size());
  lengths_.push_back(static_cast<int32_t>(tokens.size()));
  tokens_ += static_cast<int64_t>(tokens.size());
}

void IndexedDatasetWriter::finish() {
  TF_CHECK(!finished_, prefix_, ": finish() called twice");
  bin_->close();
  const auto n = static_cast<uint64_t>(lengths_.size());
  std::vector<uint8_t> index(mmidx::kMagic, mmidx::kMagic + sizeof(mmidx::kMagic));
  append(index, mmidx::kVersion);
  append(index, dtype_);
  append(index, n);
  append(index, n + 1);  // document indices: one sequence per document
  for (int32_t length : lengths_) append(index, length);
  int64_t pointer = 0;
  for (int32_t length : lengths_) {
    append(index, pointer);
    pointer += int64_t{length} * mmidx::dtype_bytes(dtype_);
  }
  for (uint64_t d = 0; d <= n; ++d) append(index, static_cast<int64_t>(d));
  OutputFile idx(prefix_ + ".idx.partial");
  idx.write(index.data(), index.size());
  idx.close();
  rename_or_throw(prefix_ + ".bin.partial", prefix_ + ".bin");
  try {
    rename_or_throw(prefix_ + ".idx.partial", prefix_ + ".idx");
  } catch (const Error&) {
    std::remove((prefix_ + ".bin").c_str());  // a .bin without its .idx is no dataset
    throw;
  }
  finished_ = true;
}

}  // namespace tf
