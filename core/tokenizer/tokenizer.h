// Text <-> token ids. Implementations own their tables; encode() keeps per-instance caches, so one
// instance must not be used from two threads at once. Bad input (invalid UTF-8, an unknown id, an
// unreadable tokenizer file) throws tf::Error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tf {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Ids of `text`, without an end-of-document id.
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  // The bytes the ids stand for; ids cut inside a character give incomplete UTF-8 bytes.
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
  // One past the largest id encode() can produce (ids are dense from 0).
  virtual int64_t vocab_size() const = 0;
  virtual int32_t eod_id() const = 0;
};

// "byte" or the path of a Hugging Face tokenizer.json (byte-level BPE).
std::unique_ptr<Tokenizer> make_tokenizer(const std::string& spec);

}  // namespace tf
