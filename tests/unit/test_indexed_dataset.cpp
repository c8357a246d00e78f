// MMIDIDX writer/reader round trip and the reader's validation messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/data/indexed_dataset.h"
#include "core/data/indexed_writer.h"
#include "core/error.h"
#include "temp_dir.h"

namespace tf {
namespace {

class IndexedDatasetTest : public ::testing::Test {
 protected:
  void write(const std::vector<std::vector<int32_t>>& documents, int64_t vocab_size) {
    IndexedDatasetWriter writer(prefix_, vocab_size);
    for (const auto& document : documents) writer.add_document(document);
    writer.finish();
  }

  std::string read_file(const std::string& ext) {
    std::ifstream in(prefix_ + ext, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write_file(const std::string& ext, const std::string& bytes) {
    std::ofstream(prefix_ + ext, std::ios::binary | std::ios::trunc) << bytes;
  }
  // Overwrites the bytes of the .idx at `offset`.
  template <typename T>
  void patch_index(size_t offset, T value) {
    std::string index = read_file(".idx");
    std::memcpy(&index[offset], &value, sizeof(T));
    write_file(".idx", index);
  }

  std::string open_error(int64_t vocab_size = 1000) {
    try {
      IndexedDataset dataset(prefix_, vocab_size);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  TempDir dir_;
  const std::string prefix_ = dir_.path() + "/data";
  const std::vector<std::vector<int32_t>> documents_{{5, 6, 7, 0}, {}, {999, 0}, {1, 2, 3, 4, 0}};
};

TEST_F(IndexedDatasetTest, RoundTripUint16) {
  write(documents_, 1000);
  IndexedDataset dataset(prefix_, 1000);
  EXPECT_EQ(dataset.dtype_code(), 8);
  EXPECT_EQ(dataset.sequences(), 4);
  EXPECT_EQ(dataset.documents(), 4);
  EXPECT_EQ(dataset.size(), 11);
  for (int64_t d = 0; d < 4; ++d) EXPECT_EQ(dataset.document(d), documents_[d]) << "document " << d;
  std::vector<int64_t> all(11);
  dataset.read(0, 11, all.data());
  EXPECT_EQ(all, (std::vector<int64_t>{5, 6, 7, 0, 999, 0, 1, 2, 3, 4, 0}));
  EXPECT_EQ(dataset.document_start_at_or_before(0), 0);
  EXPECT_EQ(dataset.document_start_at_or_before(3), 0);
  EXPECT_EQ(dataset.document_start_at_or_before(4), 4);  // the empty document starts there too
  EXPECT_EQ(dataset.document_start_at_or_before(7), 6);
  EXPECT_EQ(dataset.document_start_at_or_before(10), 6);
  // Exact bytes: 34-byte header + 4 x (4 + 8) + 5 x 8; two bytes per token.
  EXPECT_EQ(read_file(".idx").size(), 34u + 48 + 40);
  EXPECT_EQ(read_file(".bin").size(), 22u);
  EXPECT_EQ(read_file(".idx").substr(0, 9), std::string("MMIDIDX\0\0", 9));
}

TEST_F(IndexedDatasetTest, RoundTripInt32ForLargeVocabularies) {
  write({{70000, 1, 65535}}, 70001);
  IndexedDataset dataset(prefix_, 70001);
  EXPECT_EQ(dataset.dtype_code(), 4);
  EXPECT_EQ(dataset.document(0), (std::vector<int32_t>{70000, 1, 65535}));
  EXPECT_EQ(read_file(".bin").size(), 12u);
}

TEST_F(IndexedDatasetTest, AbandonedWriterLeavesNothing) {
  {
    IndexedDatasetWriter writer(prefix_, 1000);
    writer.add_document({1, 2});
  }
  EXPECT_NE(access((prefix_ + ".bin").c_str(), F_OK), 0);
  EXPECT_NE(access((prefix_ + ".bin.partial").c_str(), F_OK), 0);
  EXPECT_NE(access((prefix_ + ".idx").c_str(), F_OK), 0);
}

TEST_F(IndexedDatasetTest, WriterCreatesTheDirectoryOfItsPrefix) {
  const std::string nested = dir_.path() + "/a/b/data";
  IndexedDatasetWriter writer(nested, 1000);
  writer.add_document({1, 2, 0});
  writer.finish();
  EXPECT_EQ(IndexedDataset(nested, 1000).documents(), 1);
  std::ofstream(dir_.path() + "/file") << "x";
  try {
    IndexedDatasetWriter blocked(dir_.path() + "/file/data", 1000);
    FAIL() << "a prefix below a file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir_.path() + "/file: cannot create the directory: ", 0),
              0u)
        << e.what();
  }
}

TEST_F(IndexedDatasetTest, TheFullCheckReportsItsProgress) {
  const int64_t tokens = (int64_t{1} << 24) * 2 + 5;  // two reports: after 2^24 and 2^25 ids
  write({std::vector<int32_t>(tokens, 7)}, 1000);
  std::vector<std::pair<int64_t, int64_t>> reports;
  const IndexedDataset dataset(prefix_, 1000);
  EXPECT_EQ(dataset.check_all_ids(
                [&](int64_t checked, int64_t total) { reports.emplace_back(checked, total); }),
            7);
  const std::vector<std::pair<int64_t, int64_t>> expected{{int64_t{1} << 24, tokens},
                                                          {int64_t{1} << 25, tokens}};
  EXPECT_EQ(reports, expected);
}

TEST_F(IndexedDatasetTest, MissingFile) {
  EXPECT_EQ(open_error(), prefix_ + ".idx: cannot open: No such file or directory");
}

TEST_F(IndexedDatasetTest, BadMagic) {
  write(documents_, 1000);
  patch_index<char>(0, 'X');
  EXPECT_EQ(open_error(), prefix_ + ".idx: bad magic: not an MMIDIDX index");
}

TEST_F(IndexedDatasetTest, OldTntidxFormat) {
  write_file(".idx", std::string("TNTIDX\0\0", 8) + std::string(40, '\0'));
  write_file(".bin", "");
  EXPECT_EQ(open_error(), prefix_ +
                              ".idx: old TNTIDX index (Megatron's lazy/cached format) is not "
                              "supported; re-run preprocessing with the mmap implementation or "
                              "tf-data build");
}

TEST_F(IndexedDatasetTest, UnsupportedVersion) {
  write(documents_, 1000);
  patch_index<uint64_t>(9, 2);
  EXPECT_EQ(open_error(), prefix_ + ".idx: version 2 is not supported (only 1)");
}

TEST_F(IndexedDatasetTest, FloatDtypesAreRejectedWithTheReason) {
  write(documents_, 1000);
  for (uint8_t code : {6, 7}) {
    patch_index<uint8_t>(17, code);
    EXPECT_EQ(open_error(), prefix_ + ".idx: dtype code " + std::to_string(code) +
                                " is a float type (6 means float32 in GPT-NeoX but float64 in "
                                "Megatron, 7 float64); token ids must be integers");
  }
  patch_index<uint8_t>(17, 9);
  EXPECT_EQ(open_error(), prefix_ + ".idx: unknown dtype code 9");
}

TEST_F(IndexedDatasetTest, IndexOfWrongSize) {
  write(documents_, 1000);
  write_file(".idx", read_file(".idx") + "x");
  EXPECT_EQ(open_error(), prefix_ +
                              ".idx: size is 123 bytes but the header's 4 sequences and 5 "
                              "document indices need 122");
  write_file(".idx", "MMIDIDX");
  EXPECT_EQ(open_error(), prefix_ + ".idx: 7 bytes is shorter than the 34-byte MMIDIDX header");
}

TEST_F(IndexedDatasetTest, BinOfWrongSize) {
  write(documents_, 1000);
  write_file(".bin", read_file(".bin").substr(0, 20));
  EXPECT_EQ(open_error(), prefix_ + ".idx: sequence 3 (length 5) ends at byte 22, but " + prefix_ +
                              ".bin has 20 bytes: the .bin is cut short or the .idx is corrupt; "
                              "build both again (tf-data)");
}

TEST_F(IndexedDatasetTest, ALengthPastTheEndBlamesBothFiles) {
  write(documents_, 1000);
  patch_index<int32_t>(34 + 4 * 2, 1 << 30);  // length of sequence 2 (should be 2)
  EXPECT_EQ(open_error(), prefix_ + ".idx: sequence 2 (length 1073741824) ends at byte " +
                              std::to_string(8 + (int64_t{1} << 31)) + ", but " + prefix_ +
                              ".bin has 22 bytes: the .bin is cut short or the .idx is corrupt; "
                              "build both again (tf-data)");
}

TEST_F(IndexedDatasetTest, APathWithASuffixIsAnsweredWithItsPrefix) {
  write(documents_, 1000);
  for (const char* suffix : {".bin", ".idx"}) {
    try {
      IndexedDataset dataset(prefix_ + suffix, 1000);
      FAIL() << "opened " << prefix_ << suffix;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), prefix_ + suffix +
                                           ": a dataset is named by the prefix of its .bin and "
                                           ".idx files; did you mean '" + prefix_ + "'?");
    }
  }
}

TEST_F(IndexedDatasetTest, PointersMustFollowLengths) {
  write(documents_, 1000);
  patch_index<int64_t>(34 + 16 + 8 * 2, 10);  // pointer of sequence 2 (should be 8)
  EXPECT_EQ(open_error(), prefix_ +
                              ".idx: pointer of sequence 2 is 10, expected 8 (previous pointer + "
                              "length x 2 bytes)");
}

TEST_F(IndexedDatasetTest, DocumentIndicesMustBeOrdered) {
  write(documents_, 1000);
  patch_index<int64_t>(34 + 48 + 8 * 2, 3);  // [0, 1, 3, 3, 4]: still ordered
  patch_index<int64_t>(34 + 48 + 8 * 3, 1);
  EXPECT_EQ(open_error(), prefix_ + ".idx: document index 3 (1) is below the one before it");
  patch_index<int64_t>(34 + 48 + 8 * 4, 3);
  EXPECT_EQ(open_error(),
            prefix_ + ".idx: document indices must run from 0 to the sequence count 4");
}

// The error of an id outside the vocabulary, for token `position` of document `document`.
std::string outside(const std::string& bin, int64_t id, int64_t position, int64_t document,
                    int64_t within, int64_t vocab) {
  return bin + ": token id " + std::to_string(id) + " at token " + std::to_string(position) +
         " (document " + std::to_string(document) + ", token " + std::to_string(within) +
         " of it) is outside the vocabulary [0, " + std::to_string(vocab) +
         "): model.vocab_size is too small for the tokenizer the data was built with (tf-data "
         "build --tokenizer), or the data was built with another one";
}

// What read(offset, count) throws, or "no error".
std::string read_error(const IndexedDataset& dataset, int64_t offset, int64_t count) {
  std::vector<int64_t> ids(static_cast<size_t>(count));
  try {
    dataset.read(offset, count, ids.data());
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(IndexedDatasetTest, TokenIdsAreCheckedAsTheyAreRead) {
  write(documents_, 1000);
  const IndexedDataset dataset(prefix_, 999);  // opening reads no token id
  const std::string bad = outside(prefix_ + ".bin", 999, 4, 2, 0, 999);  // document 1 is empty
  EXPECT_EQ(read_error(dataset, 0, 4), "no error");
  EXPECT_EQ(read_error(dataset, 5, 6), "no error");
  EXPECT_EQ(read_error(dataset, 0, 11), bad);
  EXPECT_EQ(read_error(dataset, 4, 1), bad);
  EXPECT_EQ(dataset.document(0), std::vector<int32_t>({5, 6, 7, 0}));
  try {
    dataset.document(2);
    ADD_FAILURE() << "document 2 read";
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), bad);
  }
  try {
    dataset.check_all_ids();
    ADD_FAILURE() << "the full check passed";
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), bad);
  }
  EXPECT_EQ(IndexedDataset(prefix_, 1000).check_all_ids(), 999);
}

TEST_F(IndexedDatasetTest, TheFirstBadIdOfAReadIsNamed) {
  // The full check goes in chunks of 65536 ids: the first bad one is found past the first chunk.
  std::vector<int32_t> long_document(200000, 7);
  long_document[150001] = 300;
  long_document[190000] = 400;
  write({{1, 2}, long_document}, 1000);
  const IndexedDataset dataset(prefix_, 300);
  const std::string first = outside(prefix_ + ".bin", 300, 150003, 1, 150001, 300);
  EXPECT_EQ(read_error(dataset, 0, dataset.size()), first);
  EXPECT_EQ(read_error(dataset, 150004, 45000),
            outside(prefix_ + ".bin", 400, 190002, 1, 190000, 300));
  try {
    dataset.check_all_ids();
    ADD_FAILURE() << "the full check passed";
  } catch (const Error& e) {
    EXPECT_EQ(e.what(), first);
  }
}

}  // namespace
}  // namespace tf
