// Byte-level tokenizer exactness and the tokenizers' error messages.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/tokenizer/bpe_tokenizer.h"
#include "core/tokenizer/byte_tokenizer.h"

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

TEST(BpeTokenizer, SpecialTokensAndSpaceRuns) {
  const BpeTokenizer neox(kNeoxJson);
  // 30 spaces: the longest added run (24) first, then the run of 6.
  EXPECT_EQ(neox.encode(std::string(30, ' ')), (std::vector<int32_t>{50254, 50272}));
  EXPECT_EQ(neox.encode("a<|endoftext|>b"), (std::vector<int32_t>{66, 0, 67}));
}

}  // namespace
}  // namespace tf
