// The checkpoint directory's lease (launcher/lease.h) and the guard that keeps an orphaned rank or
// a job that lost its lease from committing a checkpoint (launcher/commit_guard.h).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "core/checkpoint/directory.h"
#include "core/checkpoint/writer.h"
#include "core/device.h"
#include "core/error.h"
#include "launcher/commit_guard.h"
#include "launcher/lease.h"
#include "parallel/local_communicator.h"
#include "temp_dir.h"

namespace tf {
namespace {

using nlohmann::json;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

LeaseHolder me(const std::string& launch) { return this_process_holder(launch, 0.5); }

std::string lease_path(const TempDir& dir) { return dir.path() + "/LEASE"; }

json read_lease(const TempDir& dir) { return json::parse(std::ifstream(lease_path(dir))); }

// A lease file as another job would have left it.
void write_lease(const TempDir& dir, const std::string& host, int64_t pid, double renewed,
                 const std::string& job = "") {
  std::ofstream(lease_path(dir)) << json{{"host", host},       {"pid", pid},
                                         {"job", job},         {"launch", "99"},
                                         {"started", renewed}, {"renewed", renewed},
                                         {"interval", 1.0}}
                                        .dump();
}

// The pid of a process of this host that has ended.
int64_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

std::string refusal(const std::string& dir, const LeaseHolder& who) {
  try {
    CheckpointLease lease(dir, who);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CheckpointLease, TakenWithItsHolderNamed) {
  TempDir dir;
  CheckpointLease lease(dir.path() + "/ckpt", me("41"));
  EXPECT_TRUE(lease.taken_over().empty());
  EXPECT_TRUE(lease.held());
  const json j = json::parse(std::ifstream(dir.path() + "/ckpt/LEASE"));
  EXPECT_EQ(j.at("host"), host_name());
  EXPECT_EQ(j.at("pid"), int64_t(getpid()));
  EXPECT_EQ(j.at("launch"), "41");
  EXPECT_EQ(j.at("interval"), 0.5);
  EXPECT_NEAR(j.at("renewed").get<double>(), now_seconds(), 5);
}

TEST(CheckpointLease, ASecondJobIsRefusedNamingTheHolder) {
  TempDir dir;
  CheckpointLease first(dir.path(), me("41"));
  const std::string message = refusal(dir.path(), me("42"));
  EXPECT_NE(message.find("checkpoint.dir " + dir.path() + " is in use by launch 41 (host " +
                         host_name() + ", pid " + std::to_string(getpid()) +
                         ", lease renewed 0 s ago): one job per checkpoint directory"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("tf-ctl stop"), std::string::npos) << message;
  EXPECT_TRUE(first.held());  // the refused job touched nothing
}

TEST(CheckpointLease, ASlurmJobIsNamedByItsJobId) {
  TempDir dir;
  write_lease(dir, host_name(), getpid(), now_seconds() - 3, "1234");
  const std::string message = refusal(dir.path(), me("42"));
  EXPECT_NE(message.find("is in use by job 1234 (host " + host_name()), std::string::npos)
      << message;
  EXPECT_NE(message.find("lease renewed 3 s ago"), std::string::npos) << message;
}

TEST(CheckpointLease, ALeaseOfADeadProcessHereIsTakenOverAtOnce) {
  TempDir dir;
  const int64_t pid = dead_pid();
  write_lease(dir, host_name(), pid, now_seconds(), "77");  // renewed just now
  CheckpointLease lease(dir.path(), me("42"));
  EXPECT_NE(lease.taken_over().find("taking over the stale lease of job 77 (host " + host_name() +
                                    ", pid " + std::to_string(pid)),
            std::string::npos)
      << lease.taken_over();
  EXPECT_EQ(read_lease(dir).at("launch"), "42");
}

TEST(CheckpointLease, AHolderHereThatEndsWithinSecondsIsWaitedFor) {
  TempDir dir;
  const pid_t child = fork();
  if (child == 0) {
    usleep(1500 * 1000);  // a job being taken down by its launcher
    _exit(0);
  }
  write_lease(dir, host_name(), child, now_seconds(), "77");
  std::thread reaper([child] {
    int status = 0;
    waitpid(child, &status, 0);
  });
  CheckpointLease lease(dir.path(), me("42"));
  reaper.join();
  EXPECT_NE(lease.taken_over().find("pid " + std::to_string(child)), std::string::npos);
}

TEST(CheckpointLease, AZombieHolderIsGone) {
  TempDir dir;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  usleep(200 * 1000);  // ended, not yet reaped
  write_lease(dir, host_name(), child, now_seconds(), "77");
  const auto start = std::chrono::steady_clock::now();
  CheckpointLease lease(dir.path(), me("42"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(lease.taken_over().empty());
  int status = 0;
  waitpid(child, &status, 0);
}

TEST(CheckpointLease, ALeaseFromAnotherHostGoesStaleWithAge) {
  TempDir dir;
  write_lease(dir, "elsewhere", 1, now_seconds() - 2);  // within 3 intervals and a margin
  EXPECT_NE(refusal(dir.path(), me("42")).find("in use by launch 99 (host elsewhere, pid 1"),
            std::string::npos);
  write_lease(dir, "elsewhere", 1, now_seconds() - 60);
  CheckpointLease lease(dir.path(), me("42"));
  EXPECT_NE(lease.taken_over().find("(host elsewhere, pid 1, lease renewed 60 s ago)"),
            std::string::npos)
      << lease.taken_over();
  EXPECT_TRUE(lease.held());
}

TEST(CheckpointLease, RenewalMovesTheTimeOnUntilAnotherJobTakesIt) {
  TempDir dir;
  CheckpointLease lease(dir.path(), me("41"));
  const double taken = read_lease(dir).at("renewed");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(lease.renew());
  EXPECT_GT(read_lease(dir).at("renewed").get<double>(), taken);
  EXPECT_EQ(read_lease(dir).at("started").get<double>(), taken);
  write_lease(dir, "elsewhere", 5, now_seconds());  // taken over meanwhile
  EXPECT_FALSE(lease.held());
  EXPECT_FALSE(lease.renew());
  EXPECT_EQ(read_lease(dir).at("host"), "elsewhere");  // not overwritten
}

TEST(CheckpointLease, ReleaseRemovesOnlyThisJobsLease) {
  TempDir dir;
  {
    CheckpointLease lease(dir.path(), me("41"));
    lease.release();
    EXPECT_FALSE(std::ifstream(lease_path(dir)).good());
    EXPECT_FALSE(lease.renew());  // released: not written again
    EXPECT_FALSE(std::ifstream(lease_path(dir)).good());
  }
  {
    CheckpointLease lease(dir.path(), me("42"));  // free again
    write_lease(dir, "elsewhere", 5, now_seconds());
  }  // the destructor releases, but the file is another job's now
  EXPECT_EQ(read_lease(dir).at("host"), "elsewhere");
}

TEST(CheckpointLease, OfTwoContendersOnlyOneTakesIt) {
  for (const bool stale : {false, true}) {
    TempDir dir;
    if (stale) write_lease(dir, host_name(), dead_pid(), now_seconds());
    std::atomic<int> taken{0}, refused{0};
    std::vector<std::optional<CheckpointLease>> leases(4);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        try {
          leases[i].emplace(dir.path(), me(std::to_string(50 + i)));
          ++taken;
        } catch (const Error& e) {
          if (std::string(e.what()).find("is in use by launch 5") != std::string::npos) ++refused;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(taken, 1) << (stale ? "over a stale lease" : "on a free directory");
    EXPECT_EQ(refused, 3);
    int held = 0;
    for (const auto& lease : leases) held += lease && lease->held();
    EXPECT_EQ(held, 1);
  }
}

TEST(CheckpointLease, AnUnreadableLeaseGoesStaleByItsAge) {
  TempDir dir;
  std::ofstream(lease_path(dir)) << "";  // its writer died between creating and writing it
  EXPECT_NE(refusal(dir.path(), me("42")).find("cannot take the lease"), std::string::npos);
  std::filesystem::last_write_time(
      lease_path(dir), std::filesystem::file_time_type::clock::now() - std::chrono::seconds(30));
  CheckpointLease lease(dir.path(), me("42"));
  EXPECT_NE(lease.taken_over().find("an unreadable lease file"), std::string::npos);
}

TEST(CommitGuard, TheLauncherIsTheParentItWasAtStartUp) {
  EXPECT_FALSE(launcher_gone(0));  // started on its own: no launcher to lose
  EXPECT_FALSE(launcher_gone(getppid()));
  EXPECT_TRUE(launcher_gone(dead_pid()));
}

CheckpointState one_tensor_state(int64_t step) {
  CheckpointState s;
  s.run.step = step;
  s.run.stage = "base";
  s.tensors.push_back({"keys", torch::ones({2, 2}), {2, 2}, 0});
  return s;
}

TEST(CommitGuard, AJobWhoseLeaseWasTakenOverCompletesNoCheckpoint) {
  TempDir dir;
  CheckpointLease lease(dir.path(), me("41"));
  parallel::LocalCommunicator world;
  GuardedCheckpointSync sync(world, &lease, getppid());  // the launcher still there
  save_checkpoint(dir.path(), one_tensor_state(1), 5, sync);
  EXPECT_TRUE(has_marker(dir.path() + "/step_1"));
  write_lease(dir, "elsewhere", 5, now_seconds());  // another job took the directory over
  try {
    save_checkpoint(dir.path(), one_tensor_state(2), 5, sync);
    ADD_FAILURE() << "the save went through";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint.dir " + dir.path() +
                                         ": its LEASE no longer names this job"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(has_marker(dir.path() + "/step_2"));
}

}  // namespace
}  // namespace tf
