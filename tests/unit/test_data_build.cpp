// tf-data build: what it writes reads back as the tokenized input; bad input leaves no dataset.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/data/indexed_dataset.h"
#include "core/error.h"
#include "core/tokenizer/bpe_tokenizer.h"
#include "launcher/data_build.h"
#include "temp_dir.h"

namespace tf {
namespace {

const std::string kNeoxJson = std::string(TF_SHARED_DIR) + "/data/gpt-neox-20b-tokenizer.json";

class DataBuildTest : public ::testing::Test {
 protected:
  void SetUp() override { log_ = std::tmpfile(); }
  void TearDown() override { std::fclose(log_); }
  std::string file(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << bytes;
    return dir_ + "/" + name;
  }
  std::string build_error(const BuildOptions& options) {
    try {
      build_dataset(options, log_);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  bool output_exists() {
    for (const char* ext : {".bin", ".idx", ".bin.partial", ".idx.partial"}) {
      if (access((dir_ + "/out" + ext).c_str(), F_OK) == 0) return true;
    }
    return false;
  }

  TempDir temp_;
  const std::string dir_ = temp_.path();
  std::FILE* log_ = nullptr;
};

TEST_F(DataBuildTest, JsonlAndTextReadBackAsTheirTokens) {
  const std::vector<std::string> texts{"First Citizen:\nBefore we proceed", "naïve café  résumé",
                                       "日本語 <|endoftext|> done"};
  std::string jsonl;
  for (const std::string& text : texts) jsonl += nlohmann::json{{"body", text}}.dump() + "\n";
  BuildOptions options;
  options.inputs = {file("a.jsonl", jsonl), file("b.txt", texts[0])};
  options.format = "jsonl";
  options.json_key = "body";
  options.tokenizer = kNeoxJson;
  options.output = dir_ + "/out";
  options.append_eod = true;
  // b.txt is no JSON: the jsonl run must fail on it; then build it as text separately.
  EXPECT_EQ(build_error(options), dir_ +
                                      "/b.txt:1: invalid JSON: [json.exception.parse_error.101] "
                                      "parse error at line 1, column 1: syntax error while "
                                      "parsing value - invalid literal; last read: 'F'");
  EXPECT_FALSE(output_exists());
  options.inputs.pop_back();
  build_dataset(options, log_);
  const BpeTokenizer neox(kNeoxJson);
  const IndexedDataset dataset(dir_ + "/out", neox.vocab_size());
  ASSERT_EQ(dataset.documents(), 3);
  for (size_t d = 0; d < texts.size(); ++d) {
    std::vector<int32_t> expected = neox.encode(texts[d]);
    expected.push_back(0);
    EXPECT_EQ(dataset.document(static_cast<int64_t>(d)), expected) << "document " << d;
  }
  options.inputs = {file("c.txt", texts[1])};
  options.format = "text";
  options.tokenizer = "byte";
  options.append_eod = false;
  build_dataset(options, log_);
  const IndexedDataset bytes(dir_ + "/out", 257);
  std::vector<int32_t> expected(texts[1].begin(), texts[1].end());
  for (int32_t& id : expected) id &= 0xFF;
  EXPECT_EQ(bytes.document(0), expected);
}

TEST_F(DataBuildTest, BadInputNamesTheProblemAndLeavesNoOutput) {
  BuildOptions options;
  options.output = dir_ + "/out";
  options.inputs = {dir_ + "/missing.txt"};
  EXPECT_EQ(build_error(options), dir_ + "/missing.txt: cannot open input file");
  options.inputs = {file("good.txt", "fine"), file("bad.txt", "ok\xC3\x28")};
  EXPECT_EQ(build_error(options), dir_ + "/bad.txt: invalid UTF-8 at byte 2");
  EXPECT_FALSE(output_exists());
  options.format = "jsonl";
  options.inputs = {file("key.jsonl", "{\"text\": \"a\"}\n\n{\"txt\": \"b\"}\n")};
  EXPECT_EQ(build_error(options), dir_ + "/key.jsonl:3: no string under key 'text' (--json-key)");
  EXPECT_FALSE(output_exists());
  options.format = "csv";
  EXPECT_EQ(build_error(options), "--format must be text or jsonl, not 'csv'");
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Workers tokenize batches of documents; the output, and the first error, stay those of one.
TEST_F(DataBuildTest, AnyNumberOfWorkersWritesTheSameBytesAndTheSameFirstError) {
  std::string jsonl;
  for (int d = 0; d < 700; ++d) {
    jsonl += nlohmann::json{{"text", "document " + std::to_string(d) + std::string(d % 50, 'x') +
                                         " naïve café"}}
                 .dump() +
             "\n";
  }
  BuildOptions options;
  options.inputs = {file("many.jsonl", jsonl)};
  options.format = "jsonl";
  options.tokenizer = kNeoxJson;
  options.append_eod = true;
  std::string first;
  for (int64_t workers : {1, 2, 5}) {
    options.workers = workers;
    options.output = dir_ + "/w" + std::to_string(workers);
    build_dataset(options, log_);
    const std::string bytes =
        read_bytes(options.output + ".bin") + read_bytes(options.output + ".idx");
    if (workers == 1) first = bytes;
    EXPECT_EQ(bytes, first) << workers << " workers";
  }
  EXPECT_EQ(IndexedDataset(dir_ + "/w5", 50277).documents(), 700);
  // Two bad lines: every worker count reports the first.
  options.inputs = {file("bad.jsonl", jsonl + "{\"txt\": 1}\n" + jsonl + "not json\n")};
  for (int64_t workers : {1, 3}) {
    options.workers = workers;
    options.output = dir_ + "/out";
    EXPECT_EQ(build_error(options),
              dir_ + "/bad.jsonl:701: no string under key 'text' (--json-key)");
    EXPECT_FALSE(output_exists());
  }
}

}  // namespace
}  // namespace tf
