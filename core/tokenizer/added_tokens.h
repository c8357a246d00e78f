// Hugging Face "added tokens": strings cut out of the text whole before pre-tokenization, matched
// leftmost-longest as the reference implementation's Aho-Corasick matcher does.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tf {

class AddedTokens {
 public:
  // Precondition: `content` is not empty.
  void add(std::string content, int32_t id);
  bool empty() const { return count_ == 0; }
  // Walks `text`: each added token found goes to `on_token`, the non-empty text between them to
  // `on_text`, in order.
  void split(std::string_view text, const std::function<void(std::string_view)>& on_text,
             const std::function<void(int32_t)>& on_token) const;

 private:
  struct Entry {
    std::string content;
    int32_t id;
  };
  // Candidates by first byte, longest first.
  std::array<std::vector<Entry>, 256> by_first_byte_;
  int64_t count_ = 0;
};

}  // namespace tf
