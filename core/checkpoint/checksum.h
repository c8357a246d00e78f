// File checksums for checkpoints: CRC32 (zlib), written as 8 lower-case hex digits. It detects
// corruption and truncation, not tampering.
#pragma once

#include <string>

namespace tf {

std::string crc32_hex(const std::string& bytes);

}  // namespace tf
