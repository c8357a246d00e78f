#include "core/blas_info.h"

#include <ATen/Context.h>
#include <ATen/Version.h>

#include <regex>

namespace tf {
namespace {

// The first match of `pattern`'s group 1 in `text`, or `otherwise`.
std::string first_group(const std::string& text, const std::string& pattern,
                        const std::string& otherwise) {
  std::smatch match;
  return std::regex_search(text, match, std::regex(pattern)) ? match[1].str() : otherwise;
}

}  // namespace

std::string blas_library() {
  const std::string openmp = first_group(at::get_openmp_version(), "OpenMP ([0-9]+)", "");
  const std::string threads = openmp.empty() ? "" : ", OpenMP " + openmp;
  if (at::hasMKL()) {
    // "Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605 for ..."
    const std::string version =
        first_group(at::get_mkl_version(), "Version ([0-9.]+)", "(version unknown)");
    return "Intel oneMKL " + version + " (in LibTorch)" + threads;
  }
  return first_group(at::show_config(), "BLAS_INFO=([^,\\s]+)", "unknown") +
         " (LibTorch's BLAS_INFO)" + threads;
}

}  // namespace tf
