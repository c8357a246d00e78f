#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/trainer/metrics_log.h"
#include "temp_dir.h"

namespace tf {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<nlohmann::json> records(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

nlohmann::json at(const char* kind, int64_t step) { return {{"kind", kind}, {"step", step}}; }

TEST(MetricsLog, WritesOneFlushedObjectPerLineWithWallTime) {
  TempDir dir;
  const std::string path = dir.path() + "/m.jsonl";
  MetricsLog log(path, 0);
  ASSERT_TRUE(log.write({{"kind", "train"}, {"step", 1}, {"loss", 5.5}}));
  // Flushed: readable before the log is closed.
  const auto lines = records(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["loss"], 5.5);
  EXPECT_GE(lines[0]["wall_s"].get<double>(), 0.0);
}

TEST(MetricsLog, ResumeDropsLaterStepsAndATornLineAndKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir.path() + "/m.jsonl";
  {
    std::ofstream out(path);
    out << R"({"kind":"train","step":10,"wall_s":4.0})"
           "\n"
        << R"({"kind":"validation","step":10,"wall_s":4.5})"
           "\n"
        << R"({"kind":"train","step":20,"wall_s":9.0})"
           "\n"
        << R"({"kind":"train","st)";
  }
  const std::string before = read_all(path);
  {
    MetricsLog log(path, 10);
    EXPECT_TRUE(log.write(at("validation", 10)));  // already there: not written twice
    EXPECT_TRUE(log.write(at("train", 11)));
  }
  EXPECT_EQ(read_all(path + ".bak"), before);
  const auto lines = records(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["kind"], "validation");
  EXPECT_EQ(lines[2]["step"], 11);
  EXPECT_GE(lines[2]["wall_s"].get<double>(), 4.5);  // continues the resumed run's clock
}

TEST(MetricsLog, AFileItDidNotWriteIsRefusedNamingTheLine) {
  TempDir dir;
  const std::string path = dir.path() + "/notes.txt";
  std::ofstream(path) << R"({"kind":"train","step":1,"wall_s":0})"
                         "\n"
                      << "my notes\n";
  try {
    MetricsLog log(path, 5);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2: not a JSON object"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(read_all(path), "{\"kind\":\"train\",\"step\":1,\"wall_s\":0}\nmy notes\n");
}

}  // namespace
}  // namespace tf
