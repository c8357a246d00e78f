// Which BLAS library the process's matmuls run on, for the start-up banner. Debian's LibTorch
// calls whatever libblas.so.3 resolves to (netlib's reference BLAS, or OpenBLAS once installed:
// about 12x faster on one core), so the answer depends on the machine, not on the build.
#pragma once

#include <string>

namespace tf {

// E.g. "OpenBLAS 0.3.21 NO_AFFINITY Haswell MAX_THREADS=64 (/usr/lib/.../libblas.so.3)", or
// "reference BLAS (/usr/lib/.../blas/libblas.so.3)"; "built into LibTorch" when no shared library
// provides sgemm_.
std::string blas_library();

}  // namespace tf
