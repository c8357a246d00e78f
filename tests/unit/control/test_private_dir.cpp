#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "launcher/control/private_dir.h"
#include "tests/unit/checkpoint_test_util.h"
#include "tests/unit/temp_dir.h"

namespace tf::control {
namespace {

using tf::testing::error_of;

class PrivateDir : public ::testing::Test {
 protected:
  std::string refusal(const std::string& dir, bool create) {
    return error_of([&] { check_private_directory(dir, create); });
  }

  const TempDir scratch_;
  const std::string root_ = scratch_.path();
};

TEST_F(PrivateDir, CreatesAMissingOneOwnerOnly) {
  const std::string dir = root_ + "/a/tokenformer";
  EXPECT_EQ(refusal(dir, true), "no error");
  struct stat made {};
  ASSERT_EQ(stat(dir.c_str(), &made), 0);
  EXPECT_EQ(made.st_mode & 0777, 0700u);
  EXPECT_EQ(refusal(dir, false), "no error");  // and accepts it as it is
}

TEST_F(PrivateDir, RefusesOneOpenToOthersALinkOrAFile) {
  const std::string open = root_ + "/open";
  ASSERT_EQ(mkdir(open.c_str(), 0755), 0);
  ASSERT_EQ(chmod(open.c_str(), 0755), 0);
  EXPECT_EQ(refusal(open, true), open +
                                     ": the control socket directory is open to group or others "
                                     "(mode 0755): chmod 700 " +
                                     open);
  const std::string link = root_ + "/link";
  const std::string target = root_ + "/target";
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  EXPECT_NE(refusal(link, true).find("is not a directory (or is a symbolic link)"),
            std::string::npos);
  EXPECT_NE(refusal(root_ + "/missing", false).find("No such file or directory"),
            std::string::npos);
}

TEST_F(PrivateDir, RemovesOnlyTheSocketsOfProcessesThatAreGone) {
  const std::string gone = root_ + "/run-999999999.sock";  // beyond any pid_max
  const std::string gone_relay = root_ + "/relay-999999998.sock";
  const std::string alive = root_ + "/run-" + std::to_string(getpid()) + ".sock";
  const std::string other = root_ + "/notes-1.sock";
  for (const auto& path : {gone, gone_relay, alive, other}) {
    std::ofstream(path) << "";
  }
  remove_stale_sockets(root_);
  EXPECT_FALSE(std::filesystem::exists(gone));
  EXPECT_FALSE(std::filesystem::exists(gone_relay));
  EXPECT_TRUE(std::filesystem::exists(alive));
  EXPECT_TRUE(std::filesystem::exists(other));
}

TEST_F(PrivateDir, AutoNamesTheSocketAfterThisProcess) {
  EXPECT_EQ(control_socket_path(""), "");
  EXPECT_EQ(control_socket_path("/x/y.sock"), "/x/y.sock");
  const std::string automatic = control_socket_path("auto");
  EXPECT_EQ(automatic, socket_directory() + "/run-" + std::to_string(getpid()) + ".sock");
}

}  // namespace
}  // namespace tf::control
