// Which BLAS library serves LibTorch's CPU matmuls, for the start-up banner: LibTorch from the
// package index carries Intel oneMKL inside it (statically linked, with its own OpenMP runtime).
#pragma once

#include <string>

namespace tf {

// E.g. "Intel oneMKL 2024.2 (in LibTorch), OpenMP 201511"; for a LibTorch without MKL, the BLAS
// its build configuration names ("BLAS_INFO=open": "open (LibTorch's BLAS_INFO)").
std::string blas_library();

}  // namespace tf
