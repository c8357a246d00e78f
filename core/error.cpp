#include "core/error.h"

namespace tf::detail {

void check_failed(const char* file, int line, const char* expr, const std::string& detail) {
  std::string message = concat(file, ":", line, ": check failed: ", expr);
  if (!detail.empty()) message += concat(" (", detail, ")");
  throw InternalError(message);
}

}  // namespace tf::detail
