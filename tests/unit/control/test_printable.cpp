#include <gtest/gtest.h>

#include <string>

#include "launcher/control/printable.h"

namespace tf::control {
namespace {

using namespace std::string_literals;

TEST(Printable, PlainTextIsUnchanged) {
  EXPECT_EQ(printable("preserve"), "preserve");
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("ipv4:127.0.0.1:50312"), "ipv4:127.0.0.1:50312");
}

TEST(Printable, ControlCharactersAndBackslashAreEscaped) {
  EXPECT_EQ(printable("a\nb"), "a\\nb");
  EXPECT_EQ(printable("a\r\tb"), "a\\r\\tb");
  EXPECT_EQ(printable("back\\slash"), "back\\\\slash");
  EXPECT_EQ(printable("\x01\x1f\x7f"), "\\x01\\x1f\\x7f");
  EXPECT_EQ(printable("nul\0here"s), "nul\\x00here");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
}

TEST(Printable, ValidUtf8IsKeptInvalidBytesAreEscaped) {
  EXPECT_EQ(printable("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80"),
            "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80");
  EXPECT_EQ(printable("\xff"), "\\xff");
  EXPECT_EQ(printable("\xc3("), "\\xc3(");                  // a lead byte without its continuation
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a UTF-16 surrogate
  EXPECT_EQ(printable("\xe2\x9c"), "\\xe2\\x9c");           // cut short
}

TEST(Printable, LongTextIsCutWithItsLength) {
  std::string huge(4 * 1024 * 1024, 'a');
  for (size_t i = 0; i < huge.size(); i += 1000) huge[i] = '\n';
  const std::string shown = printable(huge);
  EXPECT_LE(shown.size(), 120u + 32u);
  EXPECT_EQ(shown.find('\n'), std::string::npos);
  EXPECT_EQ(shown.substr(0, 4), "\\naa");
  const std::string suffix = "... (4194304 bytes)";
  ASSERT_GE(shown.size(), suffix.size());
  EXPECT_EQ(shown.substr(shown.size() - suffix.size()), suffix);
  EXPECT_EQ(shown.size(), 120u + suffix.size());

  EXPECT_EQ(printable(std::string(120, 'x')), std::string(120, 'x'));  // fits: not cut
  EXPECT_EQ(printable(std::string(121, 'x')), std::string(120, 'x') + "... (121 bytes)");
}

TEST(Printable, NeverCutsInsideAnEscapeOrACharacter) {
  EXPECT_EQ(printable(std::string(9, 'a') + "\n", 10), std::string(9, 'a') + "... (10 bytes)");
  EXPECT_EQ(printable(std::string(8, 'a') + "\x01", 10), std::string(8, 'a') + "... (9 bytes)");
  EXPECT_EQ(printable(std::string(8, 'a') + "\xe2\x9c\x93", 10),
            std::string(8, 'a') + "... (11 bytes)");
  EXPECT_EQ(printable(std::string(7, 'a') + "\xe2\x9c\x93", 10),
            std::string(7, 'a') + "\xe2\x9c\x93");
}

}  // namespace
}  // namespace tf::control
