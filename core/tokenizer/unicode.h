// The Unicode pieces the BPE tokenizer needs, all from ICU (the one place ICU errors are
// translated): UTF-8 validation, NFC, and the GPT-2 pre-tokenizer split.
#pragma once

#include <unicode/uversion.h>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

U_NAMESPACE_BEGIN
class RegexPattern;
class RegexMatcher;
U_NAMESPACE_END

namespace tf {

// Byte offset of the first ill-formed UTF-8 sequence in `text`, or -1 when it is all valid.
int64_t first_invalid_utf8(std::string_view text);

// NFC of valid UTF-8 `text` (returned unchanged, without copying work, when already NFC).
std::string nfc(std::string_view text);

// Splits valid UTF-8 into the pieces of the GPT-2 byte-level pre-tokenizer pattern (contractions,
// runs of letters / digits / other symbols with an optional leading space, runs of white space).
// Keeps a matcher between calls: one instance per thread.
class PreTokenizer {
 public:
  PreTokenizer();
  ~PreTokenizer();
  // Calls `piece` for each piece in order; the pieces tile `text` exactly.
  void split(std::string_view text, const std::function<void(std::string_view)>& piece) const;

 private:
  std::unique_ptr<icu::RegexPattern> pattern_;
  std::unique_ptr<icu::RegexMatcher> matcher_;
};

}  // namespace tf
