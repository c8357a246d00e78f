#include "core/number_text.h"

#include <cstdio>
#include <cstdlib>

namespace tf {

std::string shortest_text(double value) {
  // Every decimal of up to 15 significant digits survives the trip through a double, so %.15g
  // gives the shortest text of any double that has one that short (trailing zeros dropped); the
  // others need 16 or 17 digits. %g writes fixed notation from 1e-4 to 1e15, like Python's repr.
  char text[32];
  for (const int digits : {15, 16, 17}) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

}  // namespace tf
