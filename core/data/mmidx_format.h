// The Megatron-LM / GPT-NeoX "MMIDIDX" indexed dataset format, shared by the reader and the writer.
// PREFIX.idx: 9-byte magic, u64 version 1, u8 dtype code, u64 sequence count N, u64 document-index
// count D (documents + 1), int32 lengths[N], int64 byte pointers[N], int64 document indices[D],
// all little-endian with the arrays from byte 34 (unaligned). PREFIX.bin: the tokens.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace tf::mmidx {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the format is little-endian");

inline constexpr char kMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
inline constexpr char kOldMagic[8] = {'T', 'N', 'T', 'I', 'D', 'X', '\0', '\0'};
inline constexpr uint64_t kVersion = 1;
inline constexpr int64_t kHeaderBytes = 34;

// Token dtype codes. 6 and 7 are float types that Megatron and GPT-NeoX number differently.
enum DtypeCode : uint8_t { kUint8 = 1, kInt8 = 2, kInt16 = 3, kInt32 = 4, kInt64 = 5, kUint16 = 8 };

// Bytes per token of an integer code, 0 for any other code.
inline int64_t dtype_bytes(uint8_t code) {
  switch (code) {
    case kUint8:
    case kInt8:
      return 1;
    case kInt16:
    case kUint16:
      return 2;
    case kInt32:
      return 4;
    case kInt64:
      return 8;
    default:
      return 0;
  }
}

inline std::string dtype_name(uint8_t code) {
  switch (code) {
    case kUint8:
      return "uint8";
    case kInt8:
      return "int8";
    case kInt16:
      return "int16";
    case kInt32:
      return "int32";
    case kInt64:
      return "int64";
    case kUint16:
      return "uint16";
    default:
      return "code " + std::to_string(code);
  }
}

// The dtype tf-data writes: uint16 while every id fits (as GPT-NeoX decides), else int32.
inline uint8_t dtype_for_vocab(int64_t vocab_size) { return vocab_size < 65500 ? kUint16 : kInt32; }

// Unaligned little-endian load: the arrays start at byte 34, so casting would be undefined.
template <typename T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace tf::mmidx
