#include <gtest/gtest.h>
#include <link.h>

#include <ATen/Version.h>

#include <set>
#include <string>

#include "core/blas_info.h"

namespace tf {
namespace {

// LibTorch from the package index is built with BLAS_INFO=mkl and carries oneMKL: the banner must
// name it with its version, and the OpenMP runtime that serves its threads.
TEST(BlasInfo, NamesTheMklInsideLibTorch) {
  ASSERT_NE(at::show_config().find("BLAS_INFO=mkl"), std::string::npos) << at::show_config();
  const std::string blas = blas_library();
  EXPECT_EQ(blas.rfind("Intel oneMKL 20", 0), 0u) << blas;
  EXPECT_NE(blas.find("(in LibTorch), OpenMP 2"), std::string::npos) << blas;
}

// The file names of the OpenMP runtimes loaded into this process (GNU libgomp, LLVM libomp, Intel
// libiomp5).
std::set<std::string> loaded_openmp_runtimes() {
  std::set<std::string> found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const std::string name = info->dlpi_name ? info->dlpi_name : "";
        const std::string base = name.substr(name.rfind('/') + 1);
        for (const char* runtime : {"libgomp", "libomp", "libiomp"}) {
          if (base.rfind(runtime, 0) == 0) static_cast<std::set<std::string>*>(out)->insert(name);
        }
        return 0;
      },
      &found);
  return found;
}

// One OpenMP runtime per process: LibTorch's own libgomp. A second one (Debian's libgomp through
// -fopenmp, an OpenMP OpenBLAS) would split the thread pools and their thread counts.
TEST(BlasInfo, OneOpenMpRuntimeIsLoadedAndItIsLibTorchs) {
  const std::set<std::string> runtimes = loaded_openmp_runtimes();
  ASSERT_EQ(runtimes.size(), 1u) << [&] {
    std::string all;
    for (const auto& r : runtimes) all += r + " ";
    return all;
  }();
  EXPECT_NE(runtimes.begin()->find("/torch/lib/"), std::string::npos) << *runtimes.begin();
}

}  // namespace
}  // namespace tf
