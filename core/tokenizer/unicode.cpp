#include "core/tokenizer/unicode.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "core/error.h"

namespace tf {
namespace {

// Hugging Face runs this pattern with Oniguruma, whose \s is the Unicode White_Space property.
// ICU's \s leaves out U+000B and U+0085, so the property is spelled out.
constexpr const char* kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

void check_icu(UErrorCode status, const char* what) {
  TF_CHECK(U_SUCCESS(status), "ICU ", what, ": ", u_errorName(status));
}

const icu::Normalizer2& nfc_instance() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* instance = icu::Normalizer2::getNFCInstance(status);
  check_icu(status, "getNFCInstance");
  return *instance;
}

}  // namespace

int64_t first_invalid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const int64_t length = static_cast<int64_t>(text.size());
  int64_t i = 0;
  while (i < length) {
    const int64_t start = i;
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return start;
  }
  return -1;
}

std::string nfc(std::string_view text) {
  const icu::Normalizer2& normalizer = nfc_instance();
  const icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  UErrorCode status = U_ZERO_ERROR;
  if (normalizer.isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return std::string(text);
  check_icu(status, "isNormalizedUTF8");
  std::string out;
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(text.size()));
  normalizer.normalizeUTF8(0, piece, sink, nullptr, status);
  check_icu(status, "normalizeUTF8");
  return out;
}

PreTokenizer::PreTokenizer() {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  pattern_.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(kGpt2Pattern), 0,
                                            parse_error, status));
  check_icu(status, "compiling the pre-tokenizer pattern");
  matcher_.reset(pattern_->matcher(status));
  check_icu(status, "creating the pre-tokenizer matcher");
}

PreTokenizer::~PreTokenizer() = default;

void PreTokenizer::split(std::string_view text,
                         const std::function<void(std::string_view)>& piece) const {
  // ICU matches UTF-16 much faster than UTF-8 text; pieces are cut from `text` by walking both.
  const icu::UnicodeString units = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  UErrorCode status = U_ZERO_ERROR;
  matcher_->reset(units);
  int32_t unit = 0;
  size_t byte = 0;
  while (matcher_->find(status)) {
    // Every character is white space, a letter, a number or something else: no gaps.
    TF_CHECK_EQ(matcher_->start(status), unit);
    const int32_t end = matcher_->end(status);
    const size_t first_byte = byte;
    for (; unit < end; ++unit) {
      const char16_t u = units.charAt(unit);
      byte += u < 0x80 ? 1 : u < 0x800 ? 2 : U16_IS_LEAD(u) ? 4 : U16_IS_TRAIL(u) ? 0 : 3;
    }
    piece(text.substr(first_byte, byte - first_byte));
  }
  check_icu(status, "pre-tokenizer find");
  TF_CHECK_EQ(byte, text.size());
}

}  // namespace tf
