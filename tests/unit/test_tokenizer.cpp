// Byte-level tokenizer exactness and the tokenizers' error messages.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/tokenizer/bpe_tokenizer.h"
#include "core/tokenizer/byte_tokenizer.h"
#include "temp_dir.h"

namespace tf {
namespace {

const std::string kNeoxJson = std::string(TF_SHARED_DIR) + "/data/gpt-neox-20b-tokenizer.json";

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ByteTokenizer, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const auto tokenizer = make_tokenizer("byte");
  const std::vector<int32_t> ids = tokenizer->encode(all);
  ASSERT_EQ(ids.size(), 256u);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(ids[b], b);
  EXPECT_EQ(tokenizer->decode(ids), all);
  EXPECT_EQ(tokenizer->vocab_size(), 257);
  EXPECT_EQ(tokenizer->eod_id(), 256);
  EXPECT_EQ(tokenizer->decode({'h', 'i', 256}), "hi<|endoftext|>");
}

TEST(ByteTokenizer, RejectsIdsOutsideItsVocabulary) {
  EXPECT_EQ(error_of([] { ByteTokenizer().decode({257}); }),
            "byte tokenizer: token id 257 is not below 257");
}

TEST(BpeTokenizer, ErrorsNameTheProblem) {
  EXPECT_EQ(error_of([] { BpeTokenizer("/nonexistent/tokenizer.json"); }),
            "/nonexistent/tokenizer.json: cannot open tokenizer file");
  const BpeTokenizer neox(kNeoxJson);
  EXPECT_EQ(error_of([&] { neox.encode("ok \xC3\x28 bad"); }), "text is not valid UTF-8 (byte 3)");
  EXPECT_EQ(error_of([&] { neox.decode({50277}); }),
            "token id 50277 is not below the vocabulary size 50277");
}

// The fuzz seed's tokenizer.json (every byte, two merges, <|endoftext|> at id 258), edited.
std::string tiny_tokenizer_error(const std::string& from, const std::string& to) {
  std::ifstream in(std::string(TF_SOURCE_DIR) + "/tests/fuzz/corpus/tokenizer/tiny",
                   std::ios::binary);
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json = json.substr(0, json.find('\0'));  // the text to encode follows the NUL
  if (!from.empty()) json.replace(json.find(from), from.size(), to);
  const TempDir dir;
  const std::string path = dir.path() + "/tokenizer.json";
  std::ofstream(path) << json;
  return error_of([&] {
    const BpeTokenizer tokenizer(path);
    EXPECT_EQ(tokenizer.decode(tokenizer.encode("ab ab")), "ab ab");
  });
}

TEST(BpeTokenizer, RefusesIdsAndVocabulariesItCannotUse) {
  EXPECT_EQ(tiny_tokenizer_error("", ""), "no error");
  EXPECT_NE(tiny_tokenizer_error("\"id\": 258", "\"id\": -7")
                .find("added token: id -7 is not an integer in [0, 2^31)"),
            std::string::npos);
  EXPECT_NE(tiny_tokenizer_error("\"id\": 258", "\"id\": 2000000000")
                .find("token ids reach 2000000000 but the file has only 259 tokens"),
            std::string::npos);
  EXPECT_NE(
      tiny_tokenizer_error("\"<\": 60", "\"<<\": 60").find("byte 0x3C has no token in model.vocab"),
      std::string::npos);
}

TEST(BpeTokenizer, SpecialTokensAndSpaceRuns) {
  const BpeTokenizer neox(kNeoxJson);
  // 30 spaces: the longest added run (24) first, then the run of 6.
  EXPECT_EQ(neox.encode(std::string(30, ' ')), (std::vector<int32_t>{50254, 50272}));
  EXPECT_EQ(neox.encode("a<|endoftext|>b"), (std::vector<int32_t>{66, 0, 67}));
}

}  // namespace
}  // namespace tf
