#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "parallel/launcher_guard.h"

namespace tf::parallel {
namespace {

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    setenv(name, value, 1);
  }
  ~ScopedEnv() { had_ ? setenv(name_, old_.c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(LauncherGuard, GraceCoversMpirunsKillSequenceAndTenSeconds) {
  {
    ScopedEnv env("OMPI_MCA_odls_base_sigkill_timeout", "15");
    EXPECT_DOUBLE_EQ(launcher_grace_seconds(), 40);
  }
  unsetenv("OMPI_MCA_odls_base_sigkill_timeout");
  EXPECT_DOUBLE_EQ(launcher_grace_seconds(), 12);  // Open MPI's default of 1 s
  ScopedEnv bad("OMPI_MCA_odls_base_sigkill_timeout", "soon");
  EXPECT_DOUBLE_EQ(launcher_grace_seconds(), 12);
}

TEST(LauncherGuard, WatchesNothingWhenTheParentIsNotMpirun) {
  // A child whose parent is this test (not mpirun): it must not fork a watcher, so it has no
  // child of its own to wait for.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    watch_launcher_after_abort();
    _exit(waitpid(-1, nullptr, WNOHANG) == -1 ? 0 : 1);  // -1: no child at all
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace tf::parallel
