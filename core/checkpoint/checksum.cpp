#include "core/checkpoint/checksum.h"

#include <zlib.h>

#include <cstdio>

namespace tf {

std::string crc32_hex(const std::string& bytes) {
  const uLong crc = crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()),
                            bytes.size());
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return hex;
}

}  // namespace tf
