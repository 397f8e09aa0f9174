#include "mlxcpp/core/build_info.h"

#include "mlxcpp/backend/cpu/blas.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/version.h"

#ifndef MLXCPP_BUILD_TYPE
#define MLXCPP_BUILD_TYPE "unknown"
#endif

namespace mlxcpp {

std::string version() {
  return MLXCPP_VERSION_STRING;
}

BuildInfo build_info() {
  BuildInfo info;
  info.version = version();
#if defined(__clang__)
  info.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  info.compiler = "gcc " __VERSION__;
#else
  info.compiler = "unknown";
#endif
  info.build_type = MLXCPP_BUILD_TYPE;
#if defined(__SSE4_2__)
  info.isa_compiled.push_back("sse4.2");
#endif
#if defined(__AVX2__)
  info.isa_compiled.push_back("avx2");
#endif
#if defined(__FMA__)
  info.isa_compiled.push_back("fma");
#endif
#if defined(__F16C__)
  info.isa_compiled.push_back("f16c");
#endif
#if defined(__AVX512F__)
  info.isa_compiled.push_back("avx512f");
#endif
#if defined(__AVX512BW__)
  info.isa_compiled.push_back("avx512bw");
#endif
#if defined(__AVX512VNNI__)
  info.isa_compiled.push_back("avx512vnni");
#endif
#if defined(__AVX512BF16__)
  info.isa_compiled.push_back("avx512bf16");
#endif
#if defined(__ARM_NEON)
  info.isa_compiled.push_back("neon");
#endif
  if (info.isa_compiled.empty()) {
    info.isa_compiled.push_back("baseline");
  }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) {
    info.isa_cpu.push_back("avx2");
  }
  if (__builtin_cpu_supports("fma")) {
    info.isa_cpu.push_back("fma");
  }
  if (__builtin_cpu_supports("avx512f")) {
    info.isa_cpu.push_back("avx512f");
  }
  if (__builtin_cpu_supports("avx512bw")) {
    info.isa_cpu.push_back("avx512bw");
  }
  if (__builtin_cpu_supports("avx512vnni")) {
    info.isa_cpu.push_back("avx512vnni");
  }
#endif
  info.blas = cpu::blas_info().library;
  info.threads = cpu::num_threads();
  return info;
}

}  // namespace mlxcpp
