#include <gtest/gtest.h>

#include <cstring>

#include "checkpoint_test_util.h"
#include "core/checkpoint/checksum.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/safetensors.h"
#include "temp_dir.h"

namespace tf {
namespace {

using testing::error_of;

TEST(Safetensors, ExactBytesOfASmallFile) {
  const std::string bytes = encode_safetensors({{"a", torch::tensor({1.0f, 2.0f})}});
  const std::string header = R"({"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})";
  const std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  ASSERT_EQ(bytes.size(), 8 + padded.size() + 8);
  uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  EXPECT_EQ(length, padded.size());
  EXPECT_EQ(bytes.substr(8, padded.size()), padded);
  const float values[2] = {1.0f, 2.0f};
  EXPECT_EQ(std::memcmp(bytes.data() + 8 + padded.size(), values, 8), 0);
}

TEST(Safetensors, RoundTripKeepsDtypesShapesValuesAndMetadata) {
  const auto f32 = torch::randn({3, 5});
  const auto i64 = torch::arange(12, torch::kInt64).reshape({2, 3, 2});
  const auto bf16 = torch::randn({4}).to(torch::kBFloat16);
  const auto strided = torch::randn({6, 4}).t();  // non-contiguous input
  const std::string bytes = encode_safetensors(
      {{"w", f32}, {"ids", i64}, {"half", bf16}, {"t", strided}}, {{"step", "7"}});
  const SafetensorsContent back = decode_safetensors(bytes, "x.safetensors");
  ASSERT_EQ(back.tensors.size(), 4u);
  EXPECT_TRUE(torch::equal(back.tensors.at("w"), f32));
  EXPECT_TRUE(torch::equal(back.tensors.at("ids"), i64));
  EXPECT_EQ(back.tensors.at("half").scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(back.tensors.at("half"), bf16));
  EXPECT_TRUE(torch::equal(back.tensors.at("t"), strided));
  EXPECT_EQ(back.metadata, (StringMap{{"step", "7"}}));
}

TEST(Safetensors, StreamsOneTensorAtATimeIntoAFileWithItsChecksum) {
  const NamedTensors tensors = {{"w", torch::randn({64, 3})},
                                {"rows", torch::randn({10, 4}).narrow(0, 2, 5)},
                                {"ids", torch::arange(9, torch::kInt32)}};
  const std::string bytes = encode_safetensors(tensors, {{"step", "3"}});
  std::vector<size_t> pieces;
  stream_safetensors(tensors, {{"step", "3"}},
                     [&](const char*, size_t size) { pieces.push_back(size); });
  // The length prefix, the header, then one piece per tensor of exactly its bytes.
  ASSERT_EQ(pieces.size(), 2 + tensors.size());
  EXPECT_EQ(pieces[2], 64u * 3 * 4);
  EXPECT_EQ(pieces[3], 5u * 4 * 4);
  EXPECT_EQ(pieces[4], 9u * 4);
  TempDir dir;
  const std::string path = dir.path() + "/rank.safetensors";
  EXPECT_EQ(write_safetensors_file(path, tensors, {{"step", "3"}}), crc32_hex(bytes));
  EXPECT_EQ(read_file(path), bytes);
}

TEST(Safetensors, RejectsDamagedFilesNamingThem) {
  const std::string good = encode_safetensors({{"a", torch::ones({4})}});
  EXPECT_EQ(error_of([&] { decode_safetensors(good.substr(0, 5), "f.st"); }),
            "f.st: not a safetensors file (shorter than 8 bytes)");
  std::string huge = good;
  huge[7] = '\x01';
  EXPECT_NE(error_of([&] {
              decode_safetensors(huge, "f.st");
            }).find("f.st: not a safetensors file (header length"),
            std::string::npos);
  // Dropping the last data byte leaves the offsets pointing past the end.
  EXPECT_EQ(error_of([&] { decode_safetensors(good.substr(0, good.size() - 1), "f.st"); }),
            "f.st: tensor 'a': data_offsets outside the 15 data bytes");
  std::string bad_shape = good;
  bad_shape.replace(bad_shape.find("[4]"), 3, "[3]");
  EXPECT_EQ(error_of([&] { decode_safetensors(bad_shape, "f.st"); }),
            "f.st: tensor 'a': shape and dtype need 12 bytes, data_offsets give 16");
  std::string bad_dtype = good;
  bad_dtype.replace(bad_dtype.find("F32"), 3, "F99");
  EXPECT_EQ(error_of([&] { decode_safetensors(bad_dtype, "f.st"); }),
            "f.st: tensor 'a': unsupported dtype 'F99'");
  std::string bad_json = good;
  bad_json[8] = '[';
  EXPECT_NE(error_of([&] {
              decode_safetensors(bad_json, "f.st");
            }).find("f.st: safetensors header is not valid JSON"),
            std::string::npos);
}

// A file of one header and no data: the 8-byte little-endian length, then the JSON.
std::string header_only(const std::string& json) {
  std::string bytes(8, '\0');
  const uint64_t length = json.size();
  std::memcpy(bytes.data(), &length, 8);
  return bytes + json;
}

TEST(Safetensors, RefusesShapesWhoseSizeOverflows) {
  // 2^32 x 2^32 x 4 floats is 2^66 bytes: 0 once wrapped to 64 bits, which offsets [0, 0] match.
  const std::string wraps = header_only(
      R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 0]}})");
  EXPECT_EQ(error_of([&] { decode_safetensors(wraps, "f.st"); }),
            "f.st: tensor 'a': shape [4294967296, 4294967296, 4] has a negative dimension or more "
            "elements than fit in 64 bits");
  // No elements, but strides beyond 64 bits.
  const std::string strides = header_only(
      R"({"a": {"dtype": "F32", "shape": [0, 4294967296, 4294967296], "data_offsets": [0, 0]}})");
  EXPECT_NE(error_of([&] { decode_safetensors(strides, "f.st"); }).find("more elements than fit"),
            std::string::npos);
  // A number beyond what a double holds is the JSON parser's out_of_range, reported as bad JSON.
  const std::string huge_number = header_only(R"({"a": {"dtype": "F32", "shape": [1e999]}})");
  EXPECT_NE(error_of([&] {
              decode_safetensors(huge_number, "f.st");
            }).find("f.st: safetensors header is not valid JSON"),
            std::string::npos);
  // A float where an integer belongs is refused, not converted (2e+56 does not fit int64_t).
  const std::string float_shape =
      header_only(R"({"a": {"dtype": "F32", "shape": [2e+56], "data_offsets": [0, 0]}})");
  EXPECT_NE(error_of([&] { decode_safetensors(float_shape, "f.st"); }).find("expected an integer"),
            std::string::npos);
  const std::string negative =
      header_only(R"({"a": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 0]}})");
  EXPECT_NE(error_of([&] { decode_safetensors(negative, "f.st"); }).find("negative dimension"),
            std::string::npos);
  const std::string empty =
      header_only(R"({"a": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]}})");
  EXPECT_EQ(decode_safetensors(empty, "f.st").tensors.at("a").sizes(), torch::IntArrayRef({0, 4}));
}

}  // namespace
}  // namespace tf
