// The data record: the start-up lines that describe the data (documents, tokens, the validation
// share, epochs, warnings), and the resume check (a checkpoint trained on other datasets, blend
// weights or tokenizer is refused, or logged with data.allow_change; an old checkpoint without a
// record resumes).
#include <gtest/gtest.h>

#include <fstream>

#include "checkpoint_test_util.h"
#include "checkpoint_tiny_config.h"
#include "core/checkpoint/writer.h"
#include "core/data/batch_source.h"
#include "core/data/indexed_writer.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"
#include "temp_dir.h"

namespace tf {
namespace {

using testing::error_of;
using testing::ScratchDir;
using testing::tiny_checkpoint_config;

const Logger kQuiet(1);  // a non-primary rank: info() prints nothing
const Logger kPrimary(0);

// `documents` documents of `length` tokens each; ids depend on `salt` so corpora differ.
std::string write_corpus(const TempDir& dir, const std::string& name, int documents,
                         int length, int salt = 0) {
  const std::string prefix = dir.path() + "/" + name;
  IndexedDatasetWriter writer(prefix, 257);
  for (int d = 0; d < documents; ++d) {
    std::vector<int32_t> tokens(length);
    for (int i = 0; i < length; ++i) tokens[i] = (d * 7 + i * 3 + salt) % 256;
    writer.add_document(tokens);
  }
  writer.finish();
  return prefix;
}

std::string write_text(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string train_list(const std::vector<std::pair<std::string, double>>& sources) {
  std::string list = "data.train=[";
  for (size_t k = 0; k < sources.size(); ++k) {
    list += (k ? ", " : "") + ("{path: " + sources[k].first) +
            ", weight: " + std::to_string(sources[k].second) + "}";
  }
  return list + "]";
}

// Lines that contain `piece`.
std::vector<std::string> lines_with(const std::vector<std::string>& lines,
                                    const std::string& piece) {
  std::vector<std::string> found;
  for (const std::string& line : lines) {
    if (line.find(piece) != std::string::npos) found.push_back(line);
  }
  return found;
}

std::vector<std::string> describe(const Config& config, int64_t steps) {
  const DataSplits splits =
      make_data(config.data, config.model.seq_len, config.model.vocab_size, config.train.seed);
  return describe_data(splits.record, config.train.global_batch, config.model.seq_len, steps);
}

TEST(DataDescription, DatasetLineGivesDocumentsTokensAndTheValidationShare) {
  TempDir dir;
  // 40 documents x 50 tokens = 2,000 tokens. valid_fraction 0.1 holds out 200 tokens: the cut at
  // token 1,800 is the start of document 36, so documents 36..39 (4, 10%) go to validation. The
  // training part's 1,800 tokens hold (1,800 - 1) / 16 = 112 samples of seq_len 16; 56 steps of
  // 4 sequences read 224 samples: 2 epochs.
  const Config config = tiny_checkpoint_config(
      {"data.valid_fraction=0.1", train_list({{write_corpus(dir, "a", 40, 50), 1.0}})});
  const auto lines = describe(config, 56);
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "data: data.train[0] " + dir.path() + "/a" +
                          ": 40 documents, 2,000 tokens, weight 1 (100.0%); validation 4 "
                          "documents (10.0%), 200 tokens (10.0%)");
  EXPECT_EQ(lines[1],
            "data: 64 tokens per step (global batch 4 x seq_len 16), 3,584 tokens in 56 steps; "
            "epochs: 2.00 of data.train[0]");
}

TEST(DataDescription, BlendLinesGiveEachWeightShareAndEpochs) {
  TempDir dir;
  // a: 2,000 tokens, cut at 1,800 (112 samples); b: 20 x 50 = 1,000 tokens, 100 held out, cut at
  // 900 (document 18; (900 - 1) / 16 = 56 samples). 56 steps x 4 = 224 samples: 3/4 to a (168,
  // 1.50 epochs), 1/4 to b (56, 1.00 epoch).
  const Config config = tiny_checkpoint_config(
      {"data.valid_fraction=0.1", train_list({{write_corpus(dir, "a", 40, 50), 3.0},
                                              {write_corpus(dir, "b", 20, 50, 1), 1.0}})});
  const auto lines = describe(config, 56);
  ASSERT_EQ(lines.size(), 3u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find("weight 3 (75.0%); validation 4 documents (10.0%)"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("20 documents, 1,000 tokens, weight 1 (25.0%); validation 2 documents "
                          "(10.0%), 100 tokens (10.0%)"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("epochs: 1.50 of data.train[0], 1.00 of data.train[1]"),
            std::string::npos)
      << lines[2];
}

TEST(DataDescription, SmallValidationSetAndAWholeDocumentCutAreWarned) {
  TempDir dir;
  // 3 documents of 100 tokens at valid_fraction 0.01: the cut must hold out seq_len + 1 = 17
  // tokens, so it falls at the start of the last document: 1 document, 33.3% of the tokens.
  const Config config =
      tiny_checkpoint_config({train_list({{write_corpus(dir, "small", 3, 100), 1.0}})});
  const auto lines = describe(config, 10);
  EXPECT_NE(lines[0].find("validation 1 document (33.3%), 100 tokens (33.3%)"), std::string::npos)
      << lines[0];
  const auto warnings = lines_with(lines, "warning: ");
  ASSERT_EQ(warnings.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_NE(warnings[0].find("the validation set holds only 1 document (fewer than 4)"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("validation takes 33.3% of its tokens where data.valid_fraction asks "
                             "1%"),
            std::string::npos)
      << warnings[1];
}

TEST(DataDescription, SyntheticCorpusIsNamedAsSuch) {
  // 60 documents of 64 bytes and an end-of-document id; a tenth of them held out.
  const Config config = tiny_checkpoint_config({"data.valid_fraction=0.1"});
  const auto lines = describe(config, 40);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0].rfind("data: synthetic corpus (no data.train): 60 documents, ", 0), 0u)
      << lines[0];
  EXPECT_TRUE(lines_with(lines, "warning: ").empty()) << ::testing::PrintToString(lines);
  EXPECT_NE(lines.back().find("of the synthetic corpus"), std::string::npos) << lines.back();
}

// Trains 2 steps under `config` and saves the checkpoint.
void train_and_save(const Config& config) {
  LocalContext context;
  Trainer trainer(config, context, kQuiet);
  trainer.train_step();
  trainer.train_step();
  trainer.save_checkpoint();
}

// Resumes under `config`; returns the error message ("no error" when it resumed) and, in `log`,
// what rank 0 logged.
std::string resume(const Config& config, std::string* log = nullptr) {
  LocalContext context;
  Trainer trainer(config, context, kPrimary);
  ::testing::internal::CaptureStdout();
  const std::string error = error_of([&] { EXPECT_TRUE(trainer.resume_from_latest()); });
  const std::string out = ::testing::internal::GetCapturedStdout();
  if (log) *log = out;
  if (error == "no error") {
    EXPECT_EQ(trainer.step(), 2);
  }
  return error;
}

class DataResume : public ::testing::Test {
 protected:
  Config config(const std::vector<std::string>& sets) {
    std::vector<std::string> all = {"checkpoint.dir=" + root_.str()};
    all.insert(all.end(), sets.begin(), sets.end());
    return tiny_checkpoint_config(all);
  }
  ScratchDir root_;
  TempDir data_;
};

TEST_F(DataResume, SameDataResumesWithoutAWord) {
  const std::string a = write_corpus(data_, "a", 40, 50);
  train_and_save(config({train_list({{a, 1.0}})}));
  std::string log;
  EXPECT_EQ(resume(config({train_list({{a, 1.0}})}), &log), "no error");
  EXPECT_EQ(log.find("warning"), std::string::npos) << log;
  EXPECT_EQ(log.find("note"), std::string::npos) << log;
}

TEST_F(DataResume, OtherDatasetIsRefusedNamingBothSides) {
  const std::string a = write_corpus(data_, "a", 40, 50);
  const std::string b = write_corpus(data_, "b", 40, 50, 5);  // same sizes, other tokens
  train_and_save(config({train_list({{a, 1.0}})}));
  const std::string error = resume(config({train_list({{b, 1.0}})}));
  EXPECT_NE(error.find("step_2 was trained on data.train [" + a +
                       " (40 documents, 2,000 tokens, crc32 "),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("this run has data.train [" + b + " (40 documents, 2,000 tokens"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("set data.allow_change: true to continue on other data"), std::string::npos)
      << error;
}

TEST_F(DataResume, SyntheticCorpusInsteadOfADatasetIsRefused) {
  const std::string a = write_corpus(data_, "a", 40, 50);
  train_and_save(config({train_list({{a, 1.0}})}));
  const std::string error = resume(config({}));
  EXPECT_NE(error.find("this run has the synthetic corpus (60 documents"), std::string::npos)
      << error;
  // And the other way round.
  TempDir other;
  train_and_save(tiny_checkpoint_config({"checkpoint.dir=" + other.path()}));
  const std::string back = resume(
      tiny_checkpoint_config({"checkpoint.dir=" + other.path(), train_list({{a, 1.0}})}));
  EXPECT_NE(back.find("was trained on the synthetic corpus (60 documents"), std::string::npos)
      << back;
  EXPECT_NE(back.find("this run has data.train [" + a), std::string::npos) << back;
}

TEST_F(DataResume, OtherBlendWeightsAreRefused) {
  const std::string a = write_corpus(data_, "a", 40, 50);
  const std::string b = write_corpus(data_, "b", 20, 50, 1);
  train_and_save(config({train_list({{a, 1.0}, {b, 1.0}})}));
  const std::string error = resume(config({train_list({{a, 3.0}, {b, 1.0}})}));
  EXPECT_NE(error.find("was trained on blend weights [1, 1], this run has blend weights [3, 1]"),
            std::string::npos)
      << error;
  // Only the ratios count: [2, 2] is [1, 1].
  EXPECT_EQ(resume(config({train_list({{a, 2.0}, {b, 2.0}})})), "no error");
}

TEST_F(DataResume, OtherTokenizerIsRefusedAndAMovedCopyIsNot) {
  const std::string a = write_corpus(data_, "a", 40, 50);
  // The trainer reads a tokenizer file only for its checksum when data.train is set.
  const std::string one = write_text(data_, "one.json", "{\"model\": 1}");
  const std::string two = write_text(data_, "two.json", "{\"model\": 2}");
  const std::string copy = write_text(data_, "copy.json", "{\"model\": 1}");
  train_and_save(config({train_list({{a, 1.0}}), "data.tokenizer=" + one}));
  const std::string error = resume(config({train_list({{a, 1.0}}), "data.tokenizer=" + two}));
  EXPECT_NE(error.find("was trained on tokenizer " + one + " (crc32 "), std::string::npos)
      << error;
  EXPECT_NE(error.find("this run has tokenizer " + two + " (crc32 "), std::string::npos) << error;
  EXPECT_NE(resume(config({train_list({{a, 1.0}})})).find("this run has tokenizer byte"),
            std::string::npos);
  EXPECT_EQ(resume(config({train_list({{a, 1.0}}), "data.tokenizer=" + copy})), "no error");
}

TEST_F(DataResume, AllowChangeLogsBothSidesAndContinues) {
  const std::string a = write_corpus(data_, "a", 40, 50);
  train_and_save(config({train_list({{a, 1.0}})}));
  std::string log;
  EXPECT_EQ(resume(config({"data.allow_change=true"}), &log), "no error");
  EXPECT_NE(log.find("warning: data changed (data.allow_change): checkpoint "), std::string::npos)
      << log;
  EXPECT_NE(log.find("was trained on data.train [" + a), std::string::npos) << log;
  EXPECT_NE(log.find("this run has the synthetic corpus"), std::string::npos) << log;
}

TEST_F(DataResume, CheckpointWithoutARecordResumesUnchecked) {
  {
    LocalContext context;
    Trainer trainer(config({}), context, kQuiet);
    trainer.train_step();
    trainer.train_step();
    CheckpointState state = trainer.checkpoint_state();
    state.run.data.reset();  // as written before checkpoints kept the record
    CheckpointSync sync;
    save_checkpoint(root_.str(), state, 1, sync);
  }
  std::string log;
  EXPECT_EQ(resume(config({}), &log), "no error");
  EXPECT_NE(log.find("records no data"), std::string::npos) << log;
  EXPECT_NE(log.find("cannot be checked"), std::string::npos) << log;
}

TEST_F(DataResume, ChangedValidationSplitIsOnlyWarned) {
  const std::string a = write_corpus(data_, "a", 40, 50);
  train_and_save(config({train_list({{a, 1.0}})}));
  std::string log;
  EXPECT_EQ(resume(config({train_list({{a, 1.0}}), "data.valid_fraction=0.1"}), &log), "no error");
  EXPECT_NE(log.find("validation on the last 0.01 of data.train, this run has validation on the "
                     "last 0.1 of data.train"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace tf
