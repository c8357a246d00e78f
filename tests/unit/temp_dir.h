// A fresh directory under /tmp for one test; it and everything in it go when the object does.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace tf {

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/tf_test_XXXXXX";
    EXPECT_NE(mkdtemp(name), nullptr) << "cannot create a temporary directory";
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tf
