// make_data: indexed datasets and the embedded corpus give the same samples, blends read every
// source, resuming from a global sample count continues exactly at any data-parallel size.
#include <gtest/gtest.h>

#include "core/data/batch_source.h"
#include "core/data/indexed_writer.h"
#include "core/data/synthetic.h"
#include "core/error.h"
#include "core/tokenizer/byte_tokenizer.h"
#include "temp_dir.h"

namespace tf {
namespace {

constexpr int64_t kSeqLen = 32;
constexpr int64_t kVocab = 257;
constexpr uint64_t kSeed = 1234;

class MakeDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.synthetic.documents = 200;
    config_.synthetic.doc_len = 64;
  }
  std::string write(const std::string& name, const std::vector<std::vector<int32_t>>& documents) {
    const std::string prefix = dir_.path() + "/" + name;
    IndexedDatasetWriter writer(prefix, kVocab);
    for (const auto& document : documents) writer.add_document(document);
    writer.finish();
    return prefix;
  }

  TempDir dir_;
  DataConfig config_;
};

TEST_F(MakeDataTest, EmbeddedCorpusAndItsIndexedCopyGiveTheSameSamples) {
  const DataSplits embedded = make_data(config_, kSeqLen, kVocab, kSeed);
  DataConfig indexed = config_;
  indexed.train = {
      {write("synth", synthetic_token_documents(config_.synthetic, ByteTokenizer())), 1.0}};
  const DataSplits from_files = make_data(indexed, kSeqLen, kVocab, kSeed);
  EXPECT_TRUE(torch::equal(embedded.train->samples(0, 300), from_files.train->samples(0, 300)));
  EXPECT_TRUE(torch::equal(embedded.valid->samples(0, 4), from_files.valid->samples(0, 4)));
  EXPECT_EQ(embedded.train->epoch_size(), from_files.train->epoch_size());
}

TEST_F(MakeDataTest, BlendReadsEverySourceWithoutMixingThem) {
  // Source a holds ids below 100, source b ids from 100: every sample comes from one of them.
  std::vector<std::vector<int32_t>> a(20, std::vector<int32_t>(50)), b = a;
  for (int d = 0; d < 20; ++d) {
    for (int i = 0; i < 50; ++i) {
      a[d][i] = (d + i) % 100;
      b[d][i] = 100 + (d * i) % 150;
    }
  }
  DataConfig config = config_;
  config.train = {{write("a", a), 3.0}, {write("b", b), 1.0}};
  const torch::Tensor samples = make_data(config, kSeqLen, kVocab, kSeed).train->samples(0, 4000);
  int64_t from_a = 0;
  for (int64_t i = 0; i < samples.size(0); ++i) {
    const bool low = samples[i].max().item<int64_t>() < 100;
    const bool high = samples[i].min().item<int64_t>() >= 100;
    ASSERT_TRUE(low != high) << "sample " << i << " mixes the sources";
    from_a += low;
  }
  EXPECT_NEAR(static_cast<double>(from_a) / 4000, 0.75, 0.0075);
}

// The trainer's reading pattern: at each step every rank reads its micro batches through
// first_sample(); a run resumed from `consumed` must read what an uninterrupted one reads.
torch::Tensor global_batch(const BatchSource& source, int64_t consumed, int64_t dp_size,
                           int64_t global, int64_t micro_batch) {
  const int64_t accumulation = global / (micro_batch * dp_size);
  std::vector<torch::Tensor> parts;
  for (int64_t rank = 0; rank < dp_size; ++rank) {
    for (int64_t micro = 0; micro < accumulation; ++micro) {
      parts.push_back(source.samples(first_sample(consumed, rank, accumulation, micro, micro_batch),
                                     micro_batch));
    }
  }
  return torch::cat(parts);
}

TEST_F(MakeDataTest, ResumeContinuesWithSampleNAtDataParallelSizesOneAndTwo) {
  constexpr int64_t kGlobal = 8, kMicro = 2, kResumeStep = 3;
  const DataSplits uninterrupted = make_data(config_, kSeqLen, kVocab, kSeed);
  for (int64_t dp_size : {1, 2}) {
    const DataSplits resumed = make_data(config_, kSeqLen, kVocab, kSeed);  // a fresh process
    for (int64_t step = kResumeStep; step < kResumeStep + 3; ++step) {
      const int64_t n = step * kGlobal;
      const torch::Tensor batch = global_batch(*resumed.train, n, dp_size, kGlobal, kMicro);
      EXPECT_TRUE(torch::equal(batch, uninterrupted.train->samples(n, kGlobal)))
          << "dp " << dp_size << " step " << step;
      for (int64_t i = 0; i < kGlobal; ++i) {
        for (int64_t j = 0; j < i; ++j) {
          EXPECT_FALSE(torch::equal(batch[i], batch[j]))
              << "dp " << dp_size << " step " << step << ": rows " << j << " and " << i;
        }
      }
    }
  }
}

TEST_F(MakeDataTest, ErrorsNameTheSetting) {
  try {
    make_data(config_, kSeqLen, 200, kSeed);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "data: the embedded corpus encoded with tokenizer 'byte' has token id "
                 "256, not below model.vocab_size 200");
  }
  DataConfig config = config_;
  config.train = {{write("short", {{1, 2, 3, 4, 5}}), 1.0}};
  try {
    make_data(config, kSeqLen, kVocab, kSeed);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "data.train[0] (" + dir_.path() +
                                         "/short): 5 tokens split into 0 for training and 5 "
                                         "for validation, but each needs seq_len + 1 = 33");
  }
  config.valid = config.train;
  try {
    make_data(config, kSeqLen, kVocab, kSeed);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "data.train[0] (" + dir_.path() +
                                         "/short): 5 tokens are too few for one sample of "
                                         "seq_len + 1 = 33 tokens");
  }
}

// What samples(index, 1) throws, or "".
std::string sample_error(const BatchSource& source, int64_t index) {
  try {
    source.samples(index, 1);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Opening reads no token id; the one sample whose window holds the bad id throws, naming the file,
// the document and the position; every other sample reads.
TEST_F(MakeDataTest, ABadTokenIdStopsOnlyTheSampleThatReadsIt) {
  constexpr int64_t kSmallVocab = 200;
  std::vector<std::vector<int32_t>> documents(20, std::vector<int32_t>(50, 7));
  documents[3][17] = 250;   // token 167: in training window 5, [160, 193)
  documents[19][10] = 251;  // token 960: in the one validation window, [950, 983)
  DataConfig config = config_;
  config.train = {{write("bad", documents), 1.0}};
  const DataSplits splits = make_data(config, kSeqLen, kSmallVocab, kSeed);
  const std::string bin = dir_.path() + "/bad.bin";
  const std::string hint =
      "): model.vocab_size is too small for the tokenizer the data was built with (tf-data build "
      "--tokenizer), or the data was built with another one";
  std::vector<int64_t> failed;
  for (int64_t i = 0; i < splits.train->epoch_size(); ++i) {
    const std::string error = sample_error(*splits.train, i);
    if (error.empty()) continue;
    failed.push_back(i);
    EXPECT_EQ(error, bin +
                         ": token id 250 at token 167 (document 3, token 17 of it) is outside "
                         "the vocabulary [0, 200" +
                         hint);
  }
  EXPECT_EQ(failed.size(), 1u) << "training samples that failed";
  ASSERT_EQ(splits.valid->epoch_size(), 1);
  EXPECT_EQ(sample_error(*splits.valid, 0),
            bin +
                ": token id 251 at token 960 (document 19, token 10 of it) is outside the "
                "vocabulary [0, 200" +
                hint);

  // A separate validation set is checked as it is read too.
  config.valid = config.train;
  const DataSplits separate = make_data(config, kSeqLen, kSmallVocab, kSeed);
  int64_t valid_failures = 0;
  for (int64_t i = 0; i < separate.valid->epoch_size(); ++i) {
    valid_failures += sample_error(*separate.valid, i).empty() ? 0 : 1;
  }
  EXPECT_EQ(valid_failures, 3);  // windows 5, 29 ([928, 961)) and 30 ([960, 993)), in order
}

}  // namespace
}  // namespace tf
