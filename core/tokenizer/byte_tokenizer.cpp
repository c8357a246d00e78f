#include "core/tokenizer/byte_tokenizer.h"

#include "core/error.h"

namespace tf {

std::vector<int32_t> ByteTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() + 1);
  for (unsigned char c : text) ids.push_back(c);
  return ids;
}

std::string ByteTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string text;
  text.reserve(ids.size());
  for (int32_t id : ids) {
    if (id == kEod) {
      text += "<|endoftext|>";
    } else if (id >= 0 && id < kEod) {
      text += static_cast<char>(id);
    } else {
      throw Error("byte tokenizer: token id " + std::to_string(id) + " is not below " +
                  std::to_string(vocab_size()));
    }
  }
  return text;
}

}  // namespace tf
