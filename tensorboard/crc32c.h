// CRC-32C (Castagnoli), the checksum of TensorBoard's record framing, and its masked form
// (rotated and offset so that a CRC of data holding CRCs is not degenerate). Debian 12 packages
// no C++ CRC-32C library, so the table-driven form lives here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tf::tensorboard {

uint32_t crc32c(const void* data, size_t size);
uint32_t masked_crc32c(const void* data, size_t size);

}  // namespace tf::tensorboard
