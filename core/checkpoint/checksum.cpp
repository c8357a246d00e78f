#include "core/checkpoint/checksum.h"

#include <zlib.h>

#include <cstdio>

namespace tf {

void Crc32::update(const char* data, size_t size) {
  crc_ = crc32_z(static_cast<uLong>(crc_), reinterpret_cast<const Bytef*>(data), size);
}

std::string Crc32::hex() const {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc_));
  return hex;
}

std::string crc32_hex(const std::string& bytes) {
  Crc32 crc;
  crc.update(bytes.data(), bytes.size());
  return crc.hex();
}

}  // namespace tf
