// Byte-level tokenizer: ids 0-255 are the bytes themselves, 256 ends a document. Accepts any bytes
// (no UTF-8 requirement), so every file can be encoded and decoded back exactly.
#pragma once

#include "core/tokenizer/tokenizer.h"

namespace tf {

class ByteTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kEod = 256;

  std::vector<int32_t> encode(std::string_view text) const override;
  // The end-of-document id decodes to "<|endoftext|>", as GPT-NeoX prints it.
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override { return kEod + 1; }
  int32_t eod_id() const override { return kEod; }
};

}  // namespace tf
