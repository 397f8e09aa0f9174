// Function target attributes of the x86-64 ISA kernel files: those files are compiled
// into every x86-64 build and run only where the CPU reports the features. Include it
// only from such a .cpp, inside its x86-64 check: it also silences the warnings GCC 12
// gives for its own intrinsic headers in that file.
#pragma once

// GCC 12's intrinsic headers build vectors from _mm*_undefined_*(), which trips its
// (maybe-)uninitialized warnings once inlined into the kernels.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#define MLXCPP_AVX2 __attribute__((target("avx2,fma")))
#define MLXCPP_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define MLXCPP_AVX512BF16 \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,fma")))
