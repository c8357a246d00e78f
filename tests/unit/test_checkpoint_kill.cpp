// A process killed (SIGKILL) in the middle of saving never damages the previous checkpoint.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "checkpoint_test_util.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/reader.h"
#include "core/checkpoint/writer.h"

namespace tf {
namespace {

using testing::ScratchDir;

// Saves step 1, 2, 3, ... of a 16 MB tensor until killed. Only plain C++ and syscalls run in the
// child: the tensor is made before fork, so no intra-op thread pool is needed after it.
[[noreturn]] void save_forever(const std::string& root, const torch::Tensor& keys) {
  CheckpointSync sync;
  for (int64_t step = 1;; ++step) {
    CheckpointState state;
    state.run.step = step;
    state.tensors.push_back({"keys", keys, keys.sizes().vec(), 0});
    try {
      save_checkpoint(root, state, 2, sync);
    } catch (...) {
      _exit(3);
    }
  }
}

TEST(CheckpointKill, KilledSaveLeavesPreviousCheckpointLoadable) {
  ScratchDir root;
  const auto keys = torch::arange(4 << 20, torch::kFloat32).reshape({4096, 1024});
  const auto ignore = [](const std::string&) {};
  int interrupted = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) save_forever(root / std::to_string(attempt), keys);
    const std::string dir = root / std::to_string(attempt);
    while (find_latest_checkpoint(dir, ignore).empty()) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3 + 7 * attempt));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the saving child exited by itself: status " << status;

    bool debris = false;
    for (const std::string& name : list_directory(dir)) {
      debris |= name.find(".tmp") != std::string::npos;
    }
    std::vector<std::string> warnings;
    const std::string latest =
        find_latest_checkpoint(dir, [&](const std::string& w) { warnings.push_back(w); });
    interrupted += debris || !warnings.empty();
    ASSERT_FALSE(latest.empty()) << "attempt " << attempt;
    CheckpointReader reader(latest);
    reader.verify_all();
    EXPECT_TRUE(torch::equal(reader.tensor("keys"), keys)) << latest;
  }
  // Killing at random moments must have hit at least one save in flight, or the test proves nothing.
  EXPECT_GT(interrupted, 0);
}

}  // namespace
}  // namespace tf
