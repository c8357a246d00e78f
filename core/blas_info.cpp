#include "core/blas_info.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

namespace tf {
namespace {

// The shared object that holds `address` ("" when none).
std::string defining_file(void* address) {
  Dl_info info{};
  if (!address || !dladdr(address, &info) || !info.dli_fname) return "";
  return info.dli_fname;
}

// `symbol` as the already loaded shared object `file` or one of its own dependencies defines it
// (Debian's OpenBLAS libblas.so.3 is a wrapper over libopenblas.so.0), or null.
void* own_symbol(const std::string& file, const char* symbol) {
  void* handle = dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (!handle) return nullptr;
  void* address = dlsym(handle, symbol);
  dlclose(handle);
  return address;
}

}  // namespace

std::string blas_library() {
  // sgemm_'s own library: liblapack.so.3 may come from another BLAS (OpenBLAS's liblapack holds
  // all of OpenBLAS), so a vendor's symbol counts only when that library brings it.
  const std::string sgemm = defining_file(dlsym(RTLD_DEFAULT, "sgemm_"));
  if (sgemm.empty()) return "built into LibTorch";
  char resolved[PATH_MAX];
  const std::string file = realpath(sgemm.c_str(), resolved) ? resolved : sgemm;
  if (void* config = own_symbol(sgemm, "openblas_get_config")) {
    return std::string(reinterpret_cast<char* (*)()>(config)()) + " (" + file + ")";
  }
  if (own_symbol(sgemm, "mkl_get_version_string")) return "Intel MKL (" + file + ")";
  if (own_symbol(sgemm, "bli_info_get_version_str")) return "BLIS (" + file + ")";
  return "reference BLAS (" + file + ")";
}

}  // namespace tf
