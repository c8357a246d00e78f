#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/trainer/tensorboard_log.h"
#include "temp_dir.h"
#include "tensorboard/crc32c.h"
#include "tensorboard/event_file.h"

namespace tf {
namespace {

namespace fs = std::filesystem;
using tensorboard::ScalarEvent;

ScalarEvent scalars(int64_t step, float loss) {
  return {step, 1.0e9 + step, {{"train/loss", loss}}};
}

std::vector<int64_t> steps_of(const std::vector<ScalarEvent>& events) {
  std::vector<int64_t> steps;
  for (const auto& event : events) steps.push_back(event.step);
  return steps;
}

TEST(Crc32c, MatchesTheStandardCheckValueAndTheMask) {
  // The CRC-32C check value (RFC 3720, appendix B.4) and TensorBoard's mask of it.
  EXPECT_EQ(tensorboard::crc32c("123456789", 9), 0xE3069283u);
  const uint32_t crc = 0xE3069283u;
  EXPECT_EQ(tensorboard::masked_crc32c("123456789", 9), ((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
  EXPECT_EQ(tensorboard::crc32c("", 0), 0u);
}

TEST(EventFile, WritesScalarEventsThatReadBack) {
  if (!tensorboard::available()) GTEST_SKIP() << "built without protobuf";
  TempDir dir;
  tensorboard::EventFileWriter writer(dir.path() + "/tb");
  ASSERT_TRUE(writer.write(scalars(1, 2.5f)));
  ASSERT_TRUE(writer.write({2, 1.0e9, {{"train/loss", 2.25f}, {"train/lr", 1e-3f}}}));
  EXPECT_TRUE(tensorboard::is_event_file(fs::path(writer.path()).filename().string()));
  const auto events = tensorboard::read_scalar_events(writer.path());
  ASSERT_EQ(events.size(), 2u);  // the file-version event is not a scalar event
  EXPECT_EQ(events[1].step, 2);
  ASSERT_EQ(events[1].values.size(), 2u);
  EXPECT_EQ(events[1].values[1].first, "train/lr");
  EXPECT_EQ(events[1].values[1].second, 1e-3f);
}

TEST(EventFile, ANewWriterSortsAfterTheFilesAlreadyThere) {
  if (!tensorboard::available()) GTEST_SKIP() << "built without protobuf";
  TempDir dir;
  std::ofstream(dir.path() + "/events.out.tfevents.9999999999.later.1.0") << "";
  tensorboard::EventFileWriter writer(dir.path());
  const auto files = tensorboard::event_files(dir.path());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files.back(), writer.path());
}

TEST(EventFile, ATornLastRecordEndsTheFileAndACorruptOneIsRefused) {
  if (!tensorboard::available()) GTEST_SKIP() << "built without protobuf";
  TempDir dir;
  std::string path;
  {
    tensorboard::EventFileWriter writer(dir.path());
    path = writer.path();
    ASSERT_TRUE(writer.write(scalars(1, 1.0f)));
    ASSERT_TRUE(writer.write(scalars(2, 2.0f)));
  }
  const auto whole = fs::file_size(path);
  fs::resize_file(path, whole - 3);
  EXPECT_EQ(steps_of(tensorboard::read_scalar_events(path)), (std::vector<int64_t>{1}));
  fs::resize_file(path, whole);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(20);  // inside the file-version event's data
    file.put('\x7f');
  }
  try {
    tensorboard::read_scalar_events(path);
    FAIL() << "a corrupt record was read";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("fails its data checksum"), std::string::npos)
        << error.what();
  }
}

TEST(EventFile, TrimAfterDropsLaterStepsAndKeepsTheFileAsItWas) {
  if (!tensorboard::available()) GTEST_SKIP() << "built without protobuf";
  TempDir dir;
  std::string path;
  {
    tensorboard::EventFileWriter writer(dir.path());
    path = writer.path();
    for (int64_t step : {1, 5, 10, 15}) ASSERT_TRUE(writer.write(scalars(step, float(step))));
  }
  const auto tags = tensorboard::trim_after(dir.path(), 10);
  EXPECT_EQ(tags, (std::set<std::string>{"train/loss"}));
  EXPECT_EQ(steps_of(tensorboard::read_scalar_events(path)), (std::vector<int64_t>{1, 5, 10}));
  std::string backup = fs::path(path).filename().string();
  backup.replace(backup.find("tfevents"), 8, "superseded");
  EXPECT_EQ(steps_of(tensorboard::read_scalar_events(dir.path() + "/" + backup)),
            (std::vector<int64_t>{1, 5, 10, 15}));
  EXPECT_EQ(tensorboard::event_files(dir.path()), (std::vector<std::string>{path}));
  // Nothing to drop: the file is left alone.
  EXPECT_EQ(tensorboard::trim_after(dir.path(), 20), std::set<std::string>{});
  EXPECT_EQ(steps_of(tensorboard::read_scalar_events(path)), (std::vector<int64_t>{1, 5, 10}));
}

TEST(TensorBoardTag, OneRuleForEveryNumericField) {
  const nlohmann::json train = {{"kind", "train"}, {"step", 3}, {"loss", 2.0}, {"tokens", 96}};
  EXPECT_EQ(tensorboard_tag(train, "loss"), "train/loss");
  EXPECT_EQ(tensorboard_tag(train, "tokens"), "progress/tokens");
  EXPECT_EQ(tensorboard_tag(train, "step"), "");
  EXPECT_EQ(tensorboard_tag(train, "wall_s"), "");
  const nlohmann::json before = {{"kind", "validation"}, {"growth", "before"}};
  EXPECT_EQ(tensorboard_tag(before, "valid_loss"), "validation/valid_loss_before_growth");
  const nlohmann::json after = {{"kind", "validation"}, {"growth", "after"}};
  EXPECT_EQ(tensorboard_tag(after, "valid_loss"), "validation/valid_loss");
}

TEST(TensorBoardLog, ResumingWritesEachTagOncePerStepWithNoStepAfterTheCheckpoint) {
  if (!tensorboard::available()) GTEST_SKIP() << "built without protobuf";
  TempDir dir;
  const auto record = [](int64_t step, double loss) {
    return nlohmann::json{{"kind", "train"}, {"step", step}, {"loss", loss}, {"tokens", step * 8}};
  };
  {
    TensorBoardLog log(dir.path(), 0);
    for (int64_t step : {1, 2, 3, 4}) ASSERT_TRUE(log.write(record(step, 10.0 - step)));
  }
  {
    TensorBoardLog log(dir.path(), 2);      // resumed from the checkpoint of step 2
    ASSERT_TRUE(log.write(record(2, 99)));  // already there: not written again
    ASSERT_TRUE(log.write(record(3, 7.5)));
    ASSERT_TRUE(log.write({{"kind", "validation"},
                           {"step", 3},
                           {"valid_loss", 7.0},
                           {"tokens", 24}}));  // progress/tokens at step 3 once
  }
  std::vector<std::tuple<int64_t, std::string, float>> seen;
  for (const std::string& file : tensorboard::event_files(dir.path())) {
    for (const auto& event : tensorboard::read_scalar_events(file)) {
      for (const auto& [tag, value] : event.values) seen.emplace_back(event.step, tag, value);
    }
  }
  const std::vector<std::tuple<int64_t, std::string, float>> want = {
      {1, "train/loss", 9.0f},           {1, "progress/tokens", 8.0f},
      {2, "train/loss", 8.0f},           {2, "progress/tokens", 16.0f},
      {3, "train/loss", 7.5f},           {3, "progress/tokens", 24.0f},
      {3, "validation/valid_loss", 7.0f}};
  EXPECT_EQ(seen, want);
}

TEST(TensorBoardLog, AnUnwritableDirectoryNamesTheKey) {
  if (!tensorboard::available()) GTEST_SKIP() << "built without protobuf";
  TempDir dir;
  std::ofstream(dir.path() + "/file") << "x";
  try {
    TensorBoardLog log(dir.path() + "/file/tb", 0);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("metrics.tensorboard_dir"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace tf
