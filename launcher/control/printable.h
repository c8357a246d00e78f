// Client-supplied strings (request fields, peer addresses, error texts that quote them) made safe
// to echo in a reply or a log line: one line, of bounded length, that cannot forge another.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tf::control {

// `text` with backslash and control characters escaped (\n, \r, \t, other bytes below 0x20, 0x7f
// and bytes that are not valid UTF-8 as \xNN; valid UTF-8 is kept) and cut at `max_bytes` of
// escaped output, never inside an escape or a character; a cut text ends in
// "... (N bytes)" with N the length of `text`. The result has at most max_bytes + 32 bytes.
std::string printable(std::string_view text, size_t max_bytes = 120);

}  // namespace tf::control
