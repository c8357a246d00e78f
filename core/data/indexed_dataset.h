// Read-only, memory-mapped Megatron / GPT-NeoX indexed dataset (PREFIX.bin + PREFIX.idx, format
// in mmidx_format.h). The constructor checks the index against the token file (its cost grows with
// the number of sequences, not of tokens) and throws tf::Error naming the file and the failed
// check. Token ids are checked as they are read: read() and document() throw tf::Error naming the
// file, the document and the position of an id outside [0, vocab_size), so no caller ever sees
// one; check_all_ids() reads the whole file on demand (tf-data check). As a TokenStream it is the
// concatenation of all sequences in file order (documents packed as GPT-NeoX does). Immutable
// after construction: safe to read from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/data/batch_source.h"
#include "core/data/posix_file.h"

namespace tf {

class IndexedDataset : public TokenStream {
 public:
  // Called now and then by check_all_ids: (ids checked, ids in all).
  using ScanProgress = std::function<void(int64_t, int64_t)>;

  // Every token id read must lie in [0, vocab_size).
  IndexedDataset(const std::string& prefix, int64_t vocab_size);

  int64_t size() const override { return tokens_; }
  void read(int64_t offset, int64_t count, int64_t* out) const override;
  int64_t document_start_at_or_before(int64_t offset) const override;
  int64_t documents() const override { return doc_index_count_ - 1; }
  int64_t document_at(int64_t offset) const override;

  int64_t sequences() const { return sequences_; }
  // crc32 (core/checkpoint/checksum.h) of the whole PREFIX.idx and of the first and last
  // kSampledBinBytes of PREFIX.bin: the index alone does not tell apart corpora of equal
  // document lengths, and reading a large .bin whole would take minutes.
  static constexpr int64_t kSampledBinBytes = 64 << 10;
  std::string identity_crc32() const;
  uint8_t dtype_code() const { return dtype_; }
  // Tokens of document d (sequences doc_index[d] .. doc_index[d + 1]).
  std::vector<int32_t> document(int64_t d) const;
  // Reads every token id (minutes for hundreds of GB) and returns the largest; throws read()'s
  // error for the first id outside the vocabulary. `progress` hears of every 2^24 ids.
  int64_t check_all_ids(const ScanProgress& progress = {}) const;

 private:
  int64_t pointer(int64_t sequence) const;
  int32_t length(int64_t sequence) const;
  int64_t doc_index(int64_t d) const;
  int64_t document_start(int64_t d) const;  // in tokens; d == documents() gives size()
  int64_t token_at(int64_t position) const;
  void validate_index();
  // Throws unless ids[0, count), read from token `offset` on, all lie in [0, vocab_size_).
  void check_ids(int64_t offset, int64_t count, const int64_t* ids) const;
  [[noreturn]] void outside_vocabulary(int64_t position) const;
  [[noreturn]] void fail(const MappedFile& file, const std::string& check) const;
  // The index and the token file do not agree on the token file's size.
  [[noreturn]] void disagree(const std::string& index_says) const;

  MappedFile index_;
  MappedFile bin_;
  uint8_t dtype_ = 0;
  int64_t dtype_bytes_ = 0;
  int64_t sequences_ = 0;
  int64_t doc_index_count_ = 0;
  int64_t tokens_ = 0;
  int64_t vocab_size_ = 0;
};

}  // namespace tf
