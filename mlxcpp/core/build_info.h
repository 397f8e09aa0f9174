// Facts about this build and machine, for `mlxcpp info` and bug reports.
#pragma once

#include <string>
#include <vector>

namespace mlxcpp {

struct BuildInfo {
  std::string version;
  std::string compiler;
  std::string build_type;
  /** Instruction-set extensions the library was compiled to use (e.g. avx2, f16c). */
  std::vector<std::string> isa_compiled;
  /** Extensions this CPU reports at run time. */
  std::vector<std::string> isa_cpu;
  /** The BLAS behind matmul, or a note that none is linked. */
  std::string blas;
  /** Threads in the kernel thread pool. */
  int threads;
};

/** What this build was compiled with and what this machine offers. */
BuildInfo build_info();

}  // namespace mlxcpp
