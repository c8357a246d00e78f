#include <gtest/gtest.h>

#include "core/blas_info.h"

namespace tf {
namespace {

// scripts/install-deps.sh installs libopenblas0-openmp, which makes libblas.so.3 (what Debian's
// LibTorch calls) resolve to OpenBLAS; the banner must say so, with the file.
TEST(BlasInfo, NamesTheOpenBlasThatLibblasResolvesTo) {
  const std::string blas = blas_library();
  EXPECT_EQ(blas.rfind("OpenBLAS ", 0), 0u) << blas;
  EXPECT_NE(blas.find("USE_OPENMP"), std::string::npos) << "not the OpenMP flavour: " << blas;
  EXPECT_NE(blas.find("libblas.so.3"), std::string::npos) << blas;
}

}  // namespace
}  // namespace tf
