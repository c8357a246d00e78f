#include "core/tokenizer/added_tokens.h"

#include <algorithm>

#include "core/error.h"

namespace tf {

void AddedTokens::add(std::string content, int32_t id) {
  TF_CHECK(!content.empty(), "added token ", id, " is empty");
  auto& bucket = by_first_byte_[static_cast<unsigned char>(content[0])];
  bucket.push_back({std::move(content), id});
  std::stable_sort(bucket.begin(), bucket.end(), [](const Entry& a, const Entry& b) {
    return a.content.size() > b.content.size();
  });
  ++count_;
}

void AddedTokens::split(std::string_view text, const std::function<void(std::string_view)>& on_text,
                        const std::function<void(int32_t)>& on_token) const {
  size_t gap_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const Entry* found = nullptr;
    for (const Entry& entry : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      if (text.compare(pos, entry.content.size(), entry.content) == 0) {
        found = &entry;
        break;
      }
    }
    if (found == nullptr) {
      ++pos;
      continue;
    }
    if (pos > gap_start) on_text(text.substr(gap_start, pos - gap_start));
    on_token(found->id);
    pos += found->content.size();
    gap_start = pos;
  }
  if (text.size() > gap_start) on_text(text.substr(gap_start));
}

}  // namespace tf
