// The GPT-NeoX-20B tokenizer against ids from the reference Hugging Face implementation, every
// line of the golden file.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/tokenizer/bpe_tokenizer.h"
#include "core/tokenizer/unicode.h"

namespace tf {
namespace {

const std::string kShared = TF_SHARED_DIR;

struct GoldenLine {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<GoldenLine> golden_lines() {
  std::ifstream in(kShared + "/data/tokenizer-golden.jsonl");
  EXPECT_TRUE(in) << "missing " << kShared << "/data/tokenizer-golden.jsonl";
  std::vector<GoldenLine> lines;
  for (std::string line; std::getline(in, line);) {
    const auto json = nlohmann::json::parse(line);
    lines.push_back(
        {json.at("text").get<std::string>(), json.at("ids").get<std::vector<int32_t>>()});
  }
  return lines;
}

const BpeTokenizer& neox() {
  static const BpeTokenizer tokenizer(kShared + "/data/gpt-neox-20b-tokenizer.json");
  return tokenizer;
}

TEST(TokenizerGolden, EveryLineMatchesTheReferenceIds) {
  const auto lines = golden_lines();
  ASSERT_EQ(lines.size(), 408u);
  int matched = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto ids = neox().encode(lines[i].text);
    EXPECT_EQ(ids, lines[i].ids) << "golden line " << i + 1 << ": " << lines[i].text;
    matched += ids == lines[i].ids;
  }
  EXPECT_EQ(matched, static_cast<int>(lines.size()));
}

// Decoding gives the text back up to NFC, which encode applies first.
TEST(TokenizerGolden, DecodeInvertsEncode) {
  int not_nfc = 0;
  for (const GoldenLine& line : golden_lines()) {
    not_nfc += nfc(line.text) != line.text;
    EXPECT_EQ(neox().decode(neox().encode(line.text)), nfc(line.text)) << line.text;
  }
  EXPECT_EQ(not_nfc, 4);  // the file's non-NFC lines, which come back composed
}

TEST(TokenizerGolden, Vocabulary) {
  EXPECT_EQ(neox().vocab_size(), 50277);
  EXPECT_EQ(neox().eod_id(), 0);
  EXPECT_EQ(neox().decode({0, 1}), "<|endoftext|><|padding|>");
}

}  // namespace
}  // namespace tf
