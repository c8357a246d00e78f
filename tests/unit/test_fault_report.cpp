// The failure summary (launcher/fault_report.h) from status and error files written as the ranks
// write them.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "launcher/fault_report.h"
#include "temp_dir.h"

namespace tf {
namespace {

PhaseClock::Reading at(Phase phase, int64_t step) { return {phase, step, 1.0}; }

// Rank `rank` of a 3-rank launch `launch`, on this host with this process's id (alive).
FaultReporter rank_of(const std::string& dir, int rank, const std::string& launch = "7") {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return FaultReporter(dir, {rank, 3, host, getpid(), launch}, 1.0);
}

// Rewrites a field of rank `rank`'s status file.
void edit_status(const std::string& dir, int rank, const char* key, const nlohmann::json& value) {
  const std::string path = dir + "/rank-" + std::to_string(rank) + ".json";
  nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
  j[key] = value;
  std::ofstream(path) << j.dump();
}

TEST(FaultSummary, AnErrorComesBeforeTheTimeOutsItCaused) {
  TempDir dir;
  for (int r = 0; r < 3; ++r) rank_of(dir.path(), r).write_status(at(Phase::kStep, 12), "running");
  rank_of(dir.path(), 0).write_error(at(Phase::kStep, 12), "timeout", "step phase too long");
  rank_of(dir.path(), 2).write_error(at(Phase::kStep, 12), "timeout", "step phase too long");
  rank_of(dir.path(), 1).write_error(at(Phase::kCheckpoint, 10), "error", "disk full");
  const std::string summary = summarize_failure(dir.path());
  EXPECT_NE(summary.find("first failure: rank 1 on "), std::string::npos) << summary;
  EXPECT_NE(summary.find("in phase checkpoint save at step 10: disk full"), std::string::npos);
  EXPECT_NE(summary.find("consequence:   rank 0 on "), std::string::npos) << summary;
  EXPECT_EQ(written_summary(dir.path()), summary);
}

TEST(FaultSummary, ASilentRankIsTheCause) {
  TempDir dir;
  for (int r = 0; r < 3; ++r) rank_of(dir.path(), r).write_status(at(Phase::kStep, 30), "running");
  edit_status(dir.path(), 2, "time", 1000.0);  // last heard of long ago
  rank_of(dir.path(), 0).write_error(at(Phase::kStep, 30), "timeout", "step phase too long");
  rank_of(dir.path(), 1).write_status(at(Phase::kStep, 30), "signalled", 15);
  const std::string summary = summarize_failure(dir.path());
  EXPECT_NE(summary.find("first failure: rank 2 on "), std::string::npos) << summary;
  EXPECT_NE(summary.find("went silent without an error (last status"), std::string::npos);
  EXPECT_NE(summary.find("rank 1 on "), std::string::npos);
  EXPECT_TRUE(every_rank_accounted(dir.path()));
}

TEST(FaultSummary, ARankThatNeverReportedIsTheCause) {
  TempDir dir;
  rank_of(dir.path(), 0).write_status(at(Phase::kStartup, 0), "timed out");
  rank_of(dir.path(), 0).write_error(at(Phase::kStartup, 0), "timeout", "start-up too long");
  rank_of(dir.path(), 2).write_status(at(Phase::kStartup, 0), "running");
  const std::string summary = summarize_failure(dir.path());
  EXPECT_NE(summary.find("first failure: rank 1 on ?: never reported"), std::string::npos)
      << summary;
  EXPECT_FALSE(summary.find("rank 2") != std::string::npos) << "rank 2 is alive and fresh";
  EXPECT_FALSE(every_rank_accounted(dir.path()));  // rank 2 has not said how it ended
}

TEST(FaultSummary, FilesOfAnEarlierLaunchAreIgnored) {
  TempDir dir;
  EXPECT_THROW(summarize_failure(dir.path()), Error);  // no status file at all
  for (int r = 0; r < 3; ++r) {
    rank_of(dir.path(), r, "new")
        .write_status(at(Phase::kStep, 5), r == 0 ? "timed out" : "running");
  }
  rank_of(dir.path(), 0, "new").write_error(at(Phase::kStep, 5), "timeout", "too long");
  rank_of(dir.path(), 1, "old").write_error(at(Phase::kStep, 3), "error", "old failure");
  const std::string summary = summarize_failure(dir.path());
  EXPECT_EQ(summary.find("old failure"), std::string::npos) << summary;
  EXPECT_NE(summary.find("first failure: rank 0 on "), std::string::npos) << summary;
}

// The id of a process that has ended (a child, reaped).
int64_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

TEST(FaultSummary, ARankWhoseProcessIsGoneDiedAtItsStep) {
  TempDir dir;
  for (int r = 0; r < 3; ++r) rank_of(dir.path(), r).write_status(at(Phase::kStep, 47), "running");
  edit_status(dir.path(), 1, "pid", dead_pid());  // fresh status, process gone: killed at once
  EXPECT_TRUE(peer_died_here(dir.path(), 0)) << "rank 0 is the lowest rank alive here";
  EXPECT_FALSE(peer_died_here(dir.path(), 2)) << "rank 0 prints it, not rank 2";
  const std::string summary = summarize_failure(dir.path());
  EXPECT_NE(summary.find("first failure: rank 1 on "), std::string::npos) << summary;
  EXPECT_NE(summary.find("died in phase step at step 47 without an error: its process is gone"),
            std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("rank 2"), std::string::npos) << "rank 2 is alive and fresh";
}

TEST(FaultSummary, NoDeathWhenEveryProcessLivesOrEndedByItself) {
  TempDir dir;
  for (int r = 0; r < 3; ++r) rank_of(dir.path(), r).write_status(at(Phase::kStep, 9), "running");
  EXPECT_FALSE(peer_died_here(dir.path(), 0));
  rank_of(dir.path(), 1).write_status(at(Phase::kIdle, 9), "preempted");
  edit_status(dir.path(), 1, "pid", dead_pid());  // ended by itself: not a death
  EXPECT_FALSE(peer_died_here(dir.path(), 0));
  EXPECT_FALSE(peer_died_here("", 0));
}

TEST(FaultSummary, AnUncreatableDirectoryNamesTheKeyItCameFrom) {
  try {
    FaultReporter("/proc/nope/ranks", {0, 1, "h", 1, "1"}, 1.0,
                  "checkpoint.dir /proc/nope (its ranks/ subdirectory)");
    FAIL() << "created a directory under /proc";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint.dir /proc/nope (its ranks/ subdirectory): "
                                         "cannot create the rank status directory"),
              std::string::npos)
        << e.what();
  }
}

TEST(RankStatus, NamesTheDeviceAndTheLastStepTimeOnceKnown) {
  TempDir dir;
  FaultReporter reporter = rank_of(dir.path(), 1);
  reporter.write_status(at(Phase::kStartup, 0), "running");
  const std::string path = dir.path() + "/rank-1.json";
  nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
  EXPECT_FALSE(j.contains("local_rank")) << j;  // not placed yet
  EXPECT_EQ(j.at("step_seconds"), 0.0);
  reporter.set_placement(1, "cuda:1");
  reporter.set_step_seconds(0.25);
  reporter.write_status(at(Phase::kStep, 3), "running");
  j = nlohmann::json::parse(std::ifstream(path));
  EXPECT_EQ(j.at("local_rank"), 1);
  EXPECT_EQ(j.at("device"), "cuda:1");
  EXPECT_EQ(j.at("step_seconds"), 0.25);
}

// Rank `rank` of a 4-rank launch over hosts h1 (ranks 0, 1) and h2 (ranks 2, 3), other than this
// one.
FaultReporter on_two_hosts(const std::string& dir, int rank) {
  return FaultReporter(dir, {rank, 4, rank < 2 ? "h1" : "h2", 100 + rank, "9"}, 1.0);
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(FaultSummary, AHostOfWhichEveryRankWentSilentIsNamedFirst) {
  TempDir dir;
  for (int r = 0; r < 4; ++r)
    on_two_hosts(dir.path(), r).write_status(at(Phase::kStep, 7), "running");
  edit_status(dir.path(), 2, "time", seconds_now() - 7);
  edit_status(dir.path(), 3, "time", seconds_now() - 9);
  on_two_hosts(dir.path(), 0).write_error(at(Phase::kStep, 8), "timeout", "step phase too long");
  on_two_hosts(dir.path(), 1).write_error(at(Phase::kStep, 8), "timeout", "step phase too long");
  const std::string summary = summarize_failure(dir.path());
  const std::string header = "failure summary of launch 9 (4 ranks, " + dir.path() + "):\n";
  EXPECT_EQ(summary.find(header + "  host h2 lost: ranks 2, 3 went silent (last status 7 s ago): "
                                  "the host went down or was cut off from the others"),
            0u)
      << summary;
  EXPECT_EQ(summary.find("host h1 lost"), std::string::npos) << summary;
  EXPECT_NE(summary.find("first failure: rank 3 on h2: went silent"), std::string::npos) << summary;
  EXPECT_NE(summary.find("rank 0 on h1: timeout"), std::string::npos) << summary;
}

TEST(FaultSummary, NoHostIsLostWhileOneOfItsRanksSpeaks) {
  TempDir dir;
  for (int r = 0; r < 4; ++r)
    on_two_hosts(dir.path(), r).write_status(at(Phase::kStep, 7), "running");
  edit_status(dir.path(), 2, "time", seconds_now() - 30);  // rank 3 of h2 still reports
  on_two_hosts(dir.path(), 0).write_error(at(Phase::kStep, 8), "timeout", "step phase too long");
  const std::string summary = summarize_failure(dir.path());
  EXPECT_EQ(summary.find("lost"), std::string::npos) << summary;
  EXPECT_NE(summary.find("first failure: rank 2 on h2: went silent"), std::string::npos) << summary;
}

TEST(FaultSummary, EveryRankOfEveryHostTimedOutAtOneStepIsACutNetwork) {
  TempDir dir;
  for (int r = 0; r < 4; ++r) {
    on_two_hosts(dir.path(), r).write_status(at(Phase::kStep, 11), "running");
    on_two_hosts(dir.path(), r).write_error(at(Phase::kStep, 11), "timeout", "step too long");
  }
  const std::string summary = summarize_failure(dir.path());
  EXPECT_NE(summary.find("  every rank on every host (h1, h2) timed out at the same step, none "
                         "failed first: the network between the hosts stopped carrying traffic"),
            std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("lost"), std::string::npos) << summary;
}

TEST(FaultSummary, TimeOutsAtDifferentStepsOrOnOneHostAreNoCutNetwork) {
  TempDir dir;
  for (int r = 0; r < 4; ++r) {
    on_two_hosts(dir.path(), r).write_status(at(Phase::kStep, 11), "running");
    on_two_hosts(dir.path(), r).write_error(at(Phase::kStep, r == 3 ? 12 : 11), "timeout", "slow");
  }
  EXPECT_EQ(summarize_failure(dir.path()).find("every rank on every host"), std::string::npos);
  TempDir one;
  for (int r = 0; r < 3; ++r) {
    rank_of(one.path(), r).write_status(at(Phase::kStep, 11), "running");
    rank_of(one.path(), r).write_error(at(Phase::kStep, 11), "timeout", "slow");
  }
  EXPECT_EQ(summarize_failure(one.path()).find("every rank on every host"), std::string::npos);
}

}  // namespace
}  // namespace tf
