#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "launcher/control/secret_file.h"
#include "tests/unit/checkpoint_test_util.h"
#include "tests/unit/temp_dir.h"

namespace tf::control {
namespace {

std::string write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  EXPECT_EQ(::chmod(path.c_str(), mode), 0) << path;
  return path;
}

using tf::testing::error_of;

TEST(ReadSecretFile, OwnerOnlyFilesAreReadAndTrimmed) {
  const TempDir dir;
  for (const mode_t mode : {0600, 0400, 0700}) {
    const std::string path = write_file(dir.path() + "/token", "  0123456789abcdef\n\n", mode);
    EXPECT_EQ(read_secret_file(path, "control.token_file"), "0123456789abcdef") << mode;
  }
}

TEST(ReadSecretFile, AnyPermissionForGroupOrOthersIsRefusedWithModeAndFix) {
  const TempDir dir;
  const std::pair<mode_t, const char*> modes[] = {{0644, "0644"}, {0666, "0666"}, {0640, "0640"},
                                                  {0604, "0604"}, {0620, "0620"}, {0601, "0601"},
                                                  {0610, "0610"}, {0602, "0602"}, {0710, "0710"}};
  for (const auto& [mode, octal] : modes) {
    const std::string path = write_file(dir.path() + "/token", "0123456789abcdef", mode);
    EXPECT_EQ(error_of([&] { read_secret_file(path, "control.token_file"); }),
              path + ": control.token_file is readable by group or others (mode " + octal +
                  "): chmod 600 " + path);
  }
}

TEST(ReadSecretFile, AMissingFileIsNamed) {
  const TempDir dir;
  const std::string message =
      error_of([&] { read_secret_file(dir.path() + "/absent", "--token-file"); });
  EXPECT_NE(message.find(dir.path() + "/absent: cannot read --token-file"), std::string::npos)
      << message;
}

TEST(ReadSecretFile, ADirectoryIsRefusedAsSuch) {
  const TempDir dir;
  EXPECT_EQ(error_of([&] { read_secret_file(dir.path(), "control.tls_key"); }),
            dir.path() + ": control.tls_key is a directory, not a file");
}

TEST(CheckTokenStrength, SixteenCharactersOrMore) {
  EXPECT_NO_THROW(check_token_strength(std::string(kMinTokenLength, 'x'), "control.token_env T"));
  EXPECT_NO_THROW(check_token_strength(std::string(64, 'x'), "control.token_env T"));
  EXPECT_EQ(kMinTokenLength, 16u);
  const std::string message =
      error_of([] { check_token_strength("short", "control.token_env T"); });
  EXPECT_EQ(message,
            "control.token_env T: the token has 5 characters, fewer than the 16 required; make one "
            "with `openssl rand -hex 32`");
  EXPECT_THROW(check_token_strength(std::string(15, 'x'), "k"), Error);
  EXPECT_THROW(check_token_strength("", "k"), Error);
}

}  // namespace
}  // namespace tf::control
