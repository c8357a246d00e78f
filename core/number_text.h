// Decimal text of floating-point values that reads back exactly: what the resolved config
// (core/config_yaml.cpp) writes, so that 6.0e-4 prints as 0.0006 and not as its 17-digit expansion
// 0.00059999999999999995, and a config read back from it holds the same doubles.
#pragma once

#include <string>

namespace tf {

// The shortest decimal text that parses back to exactly `value`, in printf's %g notation (fixed
// from 1e-4 up to 1e15, else scientific): "0.0006", "6e-05", "1e-08", "0.3333333333333333", "1";
// "inf", "-inf" or "nan" for the values that have no decimal form.
std::string shortest_text(double value);

}  // namespace tf
