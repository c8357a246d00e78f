// The save protocol: staging, marker, retention, and several ranks agreeing through CheckpointSync.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "checkpoint_test_util.h"
#include "core/checkpoint/directory.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/reader.h"
#include "core/checkpoint/writer.h"

namespace tf {
namespace {

using testing::error_of;
using testing::ScratchDir;

CheckpointState state_at(int64_t step, const torch::Tensor& keys) {
  CheckpointState s;
  s.run.step = step;
  s.run.stage = "base";
  s.run.samples_consumed = 16 * step;
  s.tensors.push_back({"keys", keys, keys.sizes().vec(), 0});
  return s;
}

std::vector<std::string> sorted_entries(const std::string& dir) {
  auto names = list_directory(dir);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(CheckpointSave, WritesStepDirectoryKeepsTheLastK) {
  ScratchDir root;
  CheckpointSync sync;
  const auto keys = torch::randn({4, 2});
  for (int64_t step : {10, 20, 30}) save_checkpoint(root.str(), state_at(step, keys), 2, sync);
  EXPECT_EQ(sorted_entries(root.str()), (std::vector<std::string>{"step_20", "step_30"}));
  EXPECT_EQ(sorted_entries(root / "step_30"),
            (std::vector<std::string>{"COMPLETE", "manifest.json", "rank_00000.safetensors"}));
  CheckpointReader reader(root / "step_30");
  EXPECT_EQ(reader.manifest().run.step, 30);
  EXPECT_EQ(reader.manifest().run.samples_consumed, 480);
  EXPECT_TRUE(torch::equal(reader.tensor("keys"), keys));
  EXPECT_EQ(error_of([&] { save_checkpoint(root.str(), state_at(30, keys), 2, sync); }),
            root / "step_30" + ": a complete checkpoint already exists");
}

TEST(CheckpointSave, LatestSkipsDirectoriesWithoutMarkerWithWarning) {
  ScratchDir root;
  CheckpointSync sync;
  std::vector<std::string> warnings;
  const auto warn = [&](const std::string& w) { warnings.push_back(w); };
  EXPECT_EQ(find_latest_checkpoint(root / "absent", warn), "");
  save_checkpoint(root.str(), state_at(9, torch::ones({1, 1})), 3, sync);
  save_checkpoint(root.str(), state_at(10, torch::ones({1, 1})), 3, sync);
  remove_tree(root / "step_10/COMPLETE");  // as if killed between rename and marker
  make_directory(root / "step_11.tmp");    // as if killed while writing shards
  EXPECT_EQ(find_latest_checkpoint(root.str(), warn), root / "step_9");
  EXPECT_EQ(warnings,
            (std::vector<std::string>{root / "step_10" +
                                      ": no completion marker (interrupted save); ignored"}));
  // The next complete save clears the debris older than itself.
  save_checkpoint(root.str(), state_at(12, torch::ones({1, 1})), 3, sync);
  EXPECT_EQ(sorted_entries(root.str()), (std::vector<std::string>{"step_12", "step_9"}));
}

// Ranks as threads: each call blocks until every rank has made it, like the MPI version will.
class ThreadSync {
 public:
  explicit ThreadSync(int64_t size) : size_(size), slots_(size) {}
  std::vector<std::string> exchange(int64_t rank, const std::string& mine) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int64_t round = round_;
    slots_[rank] = mine;
    if (++arrived_ == size_) {
      result_ = slots_;
      arrived_ = 0;
      ++round_;
      wake_.notify_all();
    } else {
      wake_.wait(lock, [&] { return round_ != round; });
    }
    return result_;
  }
  int64_t size() const { return size_; }

 private:
  int64_t size_, arrived_ = 0, round_ = 0;
  std::vector<std::string> slots_, result_;
  std::mutex mutex_;
  std::condition_variable wake_;
};

class RankSync : public CheckpointSync {
 public:
  RankSync(ThreadSync& group, int64_t rank) : group_(group), rank_(rank) {}
  int64_t rank() const override { return rank_; }
  int64_t size() const override { return group_.size(); }
  std::string first_failure(const std::string& mine) override {
    for (const std::string& s : group_.exchange(rank_, mine)) {
      if (!s.empty()) return s;
    }
    return "";
  }
  std::vector<std::string> gather(const std::string& mine) override {
    auto all = group_.exchange(rank_, mine);
    return rank_ == 0 ? all : std::vector<std::string>{};
  }

 private:
  ThreadSync& group_;
  int64_t rank_;
};

TEST(CheckpointSave, TwoRanksEachWriteHalfOfTheTokens) {
  ScratchDir root;
  ThreadSync group(2);
  const auto keys = torch::randn({5, 3});
  const auto norm = torch::randn({3});
  auto rank_main = [&](int64_t rank) {
    RankSync sync(group, rank);
    CheckpointState s = state_at(4, keys);
    s.tensors = {{"keys", keys.narrow(0, rank * 3, rank == 0 ? 3 : 2), {5, 3}, rank * 3}};
    if (rank == 0) s.tensors.push_back({"norm", norm, {3}, 0});
    save_checkpoint(root.str(), s, 1, sync);
  };
  std::thread other(rank_main, 1);
  rank_main(0);
  other.join();
  CheckpointReader reader(root / "step_4");
  const TensorInfo& info = reader.manifest().tensors.at("keys");
  ASSERT_EQ(info.slices.size(), 2u);
  EXPECT_EQ(info.slices[1].file, "rank_00001.safetensors");
  EXPECT_EQ(info.slices[1].row_begin, 3);
  EXPECT_EQ(info.slices[1].row_end, 5);
  EXPECT_TRUE(torch::equal(reader.tensor("keys"), keys));
  EXPECT_TRUE(torch::equal(reader.tensor("norm"), norm));
}

TEST(CheckpointSave, FailureOnOneRankFailsEveryRankAndLeavesNoCheckpoint) {
  ScratchDir root;
  ThreadSync group(2);
  std::string errors[2];
  auto rank_main = [&](int64_t rank) {
    RankSync sync(group, rank);
    CheckpointState s = state_at(4, torch::ones({2, 2}));
    // Rank 1 describes rows outside the tensor: a bug, caught before anything is renamed.
    if (rank == 1) s.tensors[0].row_offset = 1;
    try {
      save_checkpoint(root.str(), s, 1, sync);
    } catch (const std::exception& e) {
      errors[rank] = e.what();
    }
  };
  std::thread other(rank_main, 1);
  rank_main(0);
  other.join();
  EXPECT_NE(errors[1].find("check failed"), std::string::npos) << errors[1];
  EXPECT_EQ(errors[0], errors[1]);  // every rank reports the failing rank's error
  EXPECT_EQ(find_latest_checkpoint(root.str(), [](const std::string&) {}), "");
}

}  // namespace
}  // namespace tf
