// Byte-level BPE read from a Hugging Face tokenizer.json, as GPT-2 and GPT-NeoX-20B use it:
// special added tokens cut from the raw text, NFC, normalized added tokens (GPT-NeoX's runs of
// spaces), the GPT-2 pre-tokenizer split, then merges by rank. Matches the reference
// implementation id for id (tests/unit/test_tokenizer_golden.cpp). Owns all its tables; encode()
// fills a word cache, so one instance per thread.
#pragma once

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/added_tokens.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"

namespace tf {

class BpeTokenizer : public Tokenizer {
 public:
  // Throws tf::Error naming `path` when the file is missing, is not JSON, or describes another
  // kind of tokenizer than byte-level BPE without prefix space.
  explicit BpeTokenizer(const std::string& path);

  // Throws tf::Error when `text` is not valid UTF-8.
  std::vector<int32_t> encode(std::string_view text) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(token_bytes_.size()); }
  int32_t eod_id() const override { return eod_id_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t id;
  };

  void load(const std::string& path);
  void encode_normalized(std::string_view text, std::vector<int32_t>& out) const;
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  std::array<int32_t, 256> byte_ids_{};
  std::unordered_map<uint64_t, Merge> merges_;  // key: left id << 32 | right id
  std::vector<std::string> token_bytes_;        // what each id decodes to
  AddedTokens special_;                         // matched on the raw text
  AddedTokens normalized_;                      // matched on the NFC text
  int32_t eod_id_ = -1;
  PreTokenizer pre_tokenizer_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> word_cache_;
};

}  // namespace tf
