#include "core/data/indexed_dataset.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/checkpoint/checksum.h"
#include "core/data/mmidx_format.h"
#include "core/error.h"

namespace tf {

using mmidx::load;

namespace {

bool readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// A dataset is named by the prefix of its two files. A path given with one of the suffixes, whose
// prefix exists, is answered with the prefix.
const std::string& checked_prefix(const std::string& prefix) {
  for (const char* suffix : {".bin", ".idx"}) {
    const size_t n = std::strlen(suffix);
    if (prefix.size() <= n || prefix.compare(prefix.size() - n, n, suffix) != 0) continue;
    const std::string stem = prefix.substr(0, prefix.size() - n);
    if (!readable(prefix + ".idx") && readable(stem + ".idx")) {
      throw Error(prefix + ": a dataset is named by the prefix of its .bin and .idx files; did you "
                           "mean '" + stem + "'?");
    }
  }
  return prefix;
}

}  // namespace

IndexedDataset::IndexedDataset(const std::string& prefix, int64_t vocab_size)
    : index_(checked_prefix(prefix) + ".idx"), bin_(prefix + ".bin"), vocab_size_(vocab_size) {
  validate_index();
}

void IndexedDataset::fail(const MappedFile& file, const std::string& check) const {
  throw Error(file.path() + ": " + check);
}

void IndexedDataset::disagree(const std::string& index_says) const {
  fail(index_, index_says + ", but " + bin_.path() + " has " + std::to_string(bin_.size()) +
                   " bytes: the .bin is cut short or the .idx is corrupt; build both again "
                   "(tf-data)");
}

void IndexedDataset::validate_index() {
  const uint8_t* p = index_.data();
  const int64_t size = index_.size();
  if (size >= 8 && std::memcmp(p, mmidx::kOldMagic, 8) == 0) {
    fail(index_,
         "old TNTIDX index (Megatron's lazy/cached format) is not supported; "
         "re-run preprocessing with the mmap implementation or tf-data build");
  }
  if (size < mmidx::kHeaderBytes) {
    fail(index_, std::to_string(size) + " bytes is shorter than the 34-byte MMIDIDX header");
  }
  if (std::memcmp(p, mmidx::kMagic, sizeof(mmidx::kMagic)) != 0) {
    fail(index_, "bad magic: not an MMIDIDX index");
  }
  const auto version = load<uint64_t>(p + 9);
  if (version != mmidx::kVersion) {
    fail(index_, "version " + std::to_string(version) + " is not supported (only 1)");
  }
  dtype_ = p[17];
  if (dtype_ == 6 || dtype_ == 7) {
    fail(index_, "dtype code " + std::to_string(dtype_) +
                     " is a float type (6 means float32 in GPT-NeoX but float64 in Megatron, "
                     "7 float64); token ids must be integers");
  }
  dtype_bytes_ = mmidx::dtype_bytes(dtype_);
  if (dtype_bytes_ == 0) fail(index_, "unknown dtype code " + std::to_string(dtype_));
  const auto n = load<uint64_t>(p + 18);
  const auto d = load<uint64_t>(p + 26);
  // Compared in 128 bits: counts from a corrupt header could overflow the expected size.
  const unsigned __int128 expected = mmidx::kHeaderBytes + static_cast<unsigned __int128>(n) * 12 +
                                     static_cast<unsigned __int128>(d) * 8;
  if (expected != static_cast<unsigned __int128>(size)) {
    fail(index_, "size is " + std::to_string(size) + " bytes but the header's " +
                     std::to_string(n) + " sequences and " + std::to_string(d) +
                     " document indices need " +
                     (expected >> 63 ? std::string("more than 2^63")
                                     : std::to_string(static_cast<uint64_t>(expected))));
  }
  sequences_ = static_cast<int64_t>(n);
  doc_index_count_ = static_cast<int64_t>(d);

  int64_t next_pointer = 0;
  for (int64_t i = 0; i < sequences_; ++i) {
    if (length(i) < 0) fail(index_, "length of sequence " + std::to_string(i) + " is negative");
    if (pointer(i) != next_pointer) {
      fail(index_, "pointer of sequence " + std::to_string(i) + " is " +
                       std::to_string(pointer(i)) + ", expected " + std::to_string(next_pointer) +
                       " (previous pointer + length x " + std::to_string(dtype_bytes_) + " bytes)");
    }
    next_pointer += int64_t{length(i)} * dtype_bytes_;
    // Bounded by the .bin size on every step, so the sum of a corrupt index cannot overflow.
    if (next_pointer > bin_.size()) {
      disagree("sequence " + std::to_string(i) + " (length " + std::to_string(length(i)) +
               ") ends at byte " + std::to_string(next_pointer));
    }
  }
  if (next_pointer != bin_.size()) {
    disagree("its last sequence ends at byte " + std::to_string(next_pointer));
  }
  tokens_ = next_pointer / dtype_bytes_;

  if (doc_index_count_ < 1 || doc_index(0) != 0 || doc_index(doc_index_count_ - 1) != sequences_) {
    fail(index_,
         "document indices must run from 0 to the sequence count " + std::to_string(sequences_));
  }
  for (int64_t k = 1; k < doc_index_count_; ++k) {
    if (doc_index(k) < doc_index(k - 1)) {
      fail(index_, "document index " + std::to_string(k) + " (" + std::to_string(doc_index(k)) +
                       ") is below the one before it");
    }
  }
}

namespace {

struct IdScan {
  int64_t first_outside = -1;  // the position of the first id outside [0, vocab), or -1
  int64_t largest = -1;        // the largest id before it
};

// Scans `count` ids of type T at `data` in chunks, each checked by its minimum and maximum (a loop
// the compiler vectorises); only a failing chunk is searched id by id. `progress` hears of every
// 2^24 ids.
template <typename T>
IdScan scan_ids(const uint8_t* data, int64_t count, int64_t vocab,
                const IndexedDataset::ScanProgress& progress) {
  constexpr int64_t kChunk = 1 << 16;
  constexpr int64_t kChunksPerReport = 256;
  // The .bin is mapped at a page boundary, so every id is aligned for T.
  const T* ids = reinterpret_cast<const T*>(data);
  IdScan result;
  for (int64_t begin = 0; begin < count; begin += kChunk) {
    if (progress && begin % (kChunk * kChunksPerReport) == 0 && begin > 0) progress(begin, count);
    const int64_t n = std::min(kChunk, count - begin);
    const T* chunk = ids + begin;
    T lo = chunk[0], hi = chunk[0];
    for (int64_t i = 1; i < n; ++i) {
      lo = std::min(lo, chunk[i]);
      hi = std::max(hi, chunk[i]);
    }
    if (static_cast<int64_t>(lo) >= 0 && static_cast<int64_t>(hi) < vocab) {
      result.largest = std::max(result.largest, static_cast<int64_t>(hi));
      continue;
    }
    for (int64_t i = 0; i < n; ++i) {
      const auto id = static_cast<int64_t>(chunk[i]);
      if (id < 0 || id >= vocab) {
        result.first_outside = begin + i;
        return result;
      }
      result.largest = std::max(result.largest, id);
    }
  }
  return result;
}

}  // namespace

int64_t IndexedDataset::check_all_ids(const ScanProgress& progress) const {
  const uint8_t* data = bin_.data();
  IdScan result;
  const auto scan = [&](auto id) {
    return scan_ids<decltype(id)>(data, tokens_, vocab_size_, progress);
  };
  switch (dtype_) {
    case mmidx::kUint8: result = scan(uint8_t{}); break;
    case mmidx::kInt8: result = scan(int8_t{}); break;
    case mmidx::kInt16: result = scan(int16_t{}); break;
    case mmidx::kUint16: result = scan(uint16_t{}); break;
    case mmidx::kInt32: result = scan(int32_t{}); break;
    default: result = scan(int64_t{}); break;
  }
  if (result.first_outside >= 0) outside_vocabulary(result.first_outside);
  return result.largest;
}

void IndexedDataset::check_ids(int64_t offset, int64_t count, const int64_t* ids) const {
  if (count == 0) return;
  // A few thousand ids per sample: their minimum and maximum cost next to nothing.
  int64_t lo = ids[0], hi = ids[0];
  for (int64_t i = 1; i < count; ++i) {
    lo = std::min(lo, ids[i]);
    hi = std::max(hi, ids[i]);
  }
  if (lo >= 0 && hi < vocab_size_) return;
  for (int64_t i = 0; i < count; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab_size_) outside_vocabulary(offset + i);
  }
}

void IndexedDataset::outside_vocabulary(int64_t position) const {
  const int64_t d = document_at(position);
  fail(bin_, "token id " + std::to_string(token_at(position)) + " at token " +
                 std::to_string(position) + " (document " + std::to_string(d) + ", token " +
                 std::to_string(position - document_start(d)) +
                 " of it) is outside the vocabulary [0, " + std::to_string(vocab_size_) +
                 "): model.vocab_size is too small for the tokenizer the data was built with "
                 "(tf-data build --tokenizer), or the data was built with another one");
}

int64_t IndexedDataset::pointer(int64_t sequence) const {
  return load<int64_t>(index_.data() + mmidx::kHeaderBytes + 4 * sequences_ + 8 * sequence);
}

int32_t IndexedDataset::length(int64_t sequence) const {
  return load<int32_t>(index_.data() + mmidx::kHeaderBytes + 4 * sequence);
}

int64_t IndexedDataset::doc_index(int64_t d) const {
  return load<int64_t>(index_.data() + mmidx::kHeaderBytes + 12 * sequences_ + 8 * d);
}

int64_t IndexedDataset::token_at(int64_t position) const {
  const uint8_t* p = bin_.data() + position * dtype_bytes_;
  switch (dtype_) {
    case mmidx::kUint8:
      return *p;
    case mmidx::kInt8:
      return static_cast<int8_t>(*p);
    case mmidx::kInt16:
      return load<int16_t>(p);
    case mmidx::kUint16:
      return load<uint16_t>(p);
    case mmidx::kInt32:
      return load<int32_t>(p);
    default:
      return load<int64_t>(p);
  }
}

void IndexedDataset::read(int64_t offset, int64_t count, int64_t* out) const {
  TF_CHECK(offset >= 0 && count >= 0 && offset + count <= tokens_, "read [", offset, ", ",
           offset + count, ") of ", tokens_);
  for (int64_t i = 0; i < count; ++i) out[i] = token_at(offset + i);
  check_ids(offset, count, out);
}

int64_t IndexedDataset::document_start(int64_t d) const {
  const int64_t first = doc_index(d);
  return first < sequences_ ? pointer(first) / dtype_bytes_ : tokens_;
}

int64_t IndexedDataset::document_at(int64_t offset) const {
  if (offset >= tokens_) return documents();
  int64_t low = 0, high = documents();  // document_start(low) <= offset < document_start(high)
  while (high - low > 1) {
    const int64_t mid = low + (high - low) / 2;
    (document_start(mid) <= offset ? low : high) = mid;
  }
  return low;
}

int64_t IndexedDataset::document_start_at_or_before(int64_t offset) const {
  if (documents() == 0) return 0;
  return document_start(std::min(document_at(offset), documents() - 1));
}

std::string IndexedDataset::identity_crc32() const {
  Crc32 crc;
  const auto add = [&](const MappedFile& file, int64_t begin, int64_t end) {
    const char* bytes = reinterpret_cast<const char*>(file.data());
    crc.update(bytes + begin, static_cast<size_t>(end - begin));
  };
  add(index_, 0, index_.size());
  const int64_t head = std::min(bin_.size(), kSampledBinBytes);
  add(bin_, 0, head);
  add(bin_, std::max(head, bin_.size() - kSampledBinBytes), bin_.size());
  return crc.hex();
}

std::vector<int32_t> IndexedDataset::document(int64_t d) const {
  TF_CHECK(d >= 0 && d < documents(), "document ", d, " of ", documents());
  const int64_t start = document_start(d);
  std::vector<int64_t> ids(static_cast<size_t>(document_start(d + 1) - start));
  read(start, static_cast<int64_t>(ids.size()), ids.data());
  return std::vector<int32_t>(ids.begin(), ids.end());
}

}  // namespace tf
