// File checksums for checkpoints: CRC32 (zlib), written as 8 lower-case hex digits. It detects
// corruption and truncation, not tampering.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tf {

// A CRC32 over bytes given piece by piece.
class Crc32 {
 public:
  void update(const char* data, size_t size);
  std::string hex() const;

 private:
  uint64_t crc_ = 0;
};

std::string crc32_hex(const std::string& bytes);

}  // namespace tf
