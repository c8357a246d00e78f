// Where training samples come from. A sample is seq_len + 1 consecutive tokens of a packed token
// stream; sample i is a pure function of (seed, i), so the position to resume from is one global
// counter, valid for any data-parallel size.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/config.h"
#include "core/data/data_record.h"

namespace tf {

// A flat stream of token ids (documents packed with end-of-document tokens between them).
class TokenStream {
 public:
  virtual ~TokenStream() = default;
  virtual int64_t size() const = 0;
  // Copies tokens [offset, offset + count) into `out`; throws tf::Error where the stream checks
  // its ids as they are read (IndexedDataset) and one lies outside the vocabulary.
  virtual void read(int64_t offset, int64_t count, int64_t* out) const = 0;
  // Where the document holding token `offset` starts (0 for an empty stream); splits cut there so
  // that no document is shared by training and validation.
  virtual int64_t document_start_at_or_before(int64_t offset) const = 0;
  virtual int64_t documents() const = 0;
  // The index of the document holding token `offset` (documents() for offset == size()).
  virtual int64_t document_at(int64_t offset) const = 0;
};

// An in-memory stream of documents laid end to end.
class VectorTokenStream : public TokenStream {
 public:
  explicit VectorTokenStream(const std::vector<std::vector<int32_t>>& documents);
  int64_t size() const override { return static_cast<int64_t>(tokens_.size()); }
  void read(int64_t offset, int64_t count, int64_t* out) const override;
  int64_t document_start_at_or_before(int64_t offset) const override;
  int64_t documents() const override { return static_cast<int64_t>(document_starts_.size()); }
  int64_t document_at(int64_t offset) const override;

 private:
  std::vector<int32_t> tokens_;
  std::vector<int64_t> document_starts_;
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Global samples [first, first + count) as int64 [count, seq_len + 1]; throws what the
  // stream's read throws (a token id outside the vocabulary).
  virtual torch::Tensor samples(int64_t first, int64_t count) const = 0;
  // Distinct samples in one pass; indices wrap around (reshuffled) past it.
  virtual int64_t epoch_size() const = 0;
};

// Windows of `seq_len + 1` tokens at stride seq_len (neighbours share one token, as GPT-NeoX packs
// them) over tokens [begin, end) of a stream, visited in a seeded random order that is reshuffled
// each epoch.
class WindowSampler : public BatchSource {
 public:
  // Precondition: end - begin >= seq_len + 1.
  WindowSampler(std::shared_ptr<const TokenStream> stream, int64_t begin, int64_t end,
                int64_t seq_len, uint64_t seed, bool shuffle = true);
  torch::Tensor samples(int64_t first, int64_t count) const override;
  int64_t epoch_size() const override { return windows_; }

 private:
  int64_t window_of(int64_t index) const;

  std::shared_ptr<const TokenStream> stream_;
  int64_t begin_, seq_len_, windows_;
  uint64_t seed_;
  bool shuffle_;
};

struct DataSplits {
  std::shared_ptr<BatchSource> train;
  std::shared_ptr<BatchSource> valid;
  DataRecord record;  // what they hold and how the split cut it
};

// The training and validation data named by `config` for sequences of `seq_len` tokens: the
// blend of the indexed datasets in data.train (or the embedded synthetic corpus, encoded with
// data.tokenizer, when it is empty) and data.valid (or the last valid_fraction of each training
// dataset, cut at a document start). Throws tf::Error naming the key or file at fault, and an
// unreadable data.tokenizer file. Its cost does not grow with the size of the .bin files: their
// token ids are checked against `vocab_size` as samples are read, and samples() throws tf::Error
// naming the file, document and position of an id outside it (IndexedDataset).
DataSplits make_data(const DataConfig& config, int64_t seq_len, int64_t vocab_size, uint64_t seed);

// The first global sample of micro batch `micro` of data-parallel rank `dp_rank`, `consumed`
// samples into training: the ranks read consecutive, disjoint slices of each global batch, so a
// run resumed from `consumed` reads the same samples at any data-parallel size.
inline int64_t first_sample(int64_t consumed, int64_t dp_rank, int64_t accumulation, int64_t micro,
                            int64_t micro_batch) {
  return consumed + (dp_rank * accumulation + micro) * micro_batch;
}

}  // namespace tf
