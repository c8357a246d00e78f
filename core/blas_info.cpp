#include "core/blas_info.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

namespace tf {
namespace {

template <typename Function>
Function* find_symbol(const char* name) {
  return reinterpret_cast<Function*>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

std::string blas_library() {
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info{};
  if (!sgemm || !dladdr(sgemm, &info) || !info.dli_fname) return "built into LibTorch";
  char resolved[PATH_MAX];
  const std::string file = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
  if (auto* config = find_symbol<char*()>("openblas_get_config")) {
    return std::string(config()) + " (" + file + ")";
  }
  if (find_symbol<void()>("mkl_get_version_string")) return "Intel MKL (" + file + ")";
  if (find_symbol<void()>("bli_info_get_version_str")) return "BLIS (" + file + ")";
  return "reference BLAS (" + file + ")";
}

}  // namespace tf
