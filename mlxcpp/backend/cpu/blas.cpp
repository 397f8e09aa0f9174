#include "mlxcpp/backend/cpu/blas.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/errors.h"

namespace mlxcpp::cpu {

namespace {

// cblas enums (cblas.h values).
constexpr int row_major = 101;
constexpr int no_trans = 111;
constexpr int trans = 112;

using sgemm_fn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                          float, float*, int);
using dgemm_fn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*,
                          int, double, double*, int);
using cgemm_fn = void (*)(int, int, int, int, int, int, const void*, const void*, int, const void*,
                          int, const void*, void*, int);

struct Library {
  BlasInfo info{false, "none: a portable fallback kernel (OpenBLAS could not be loaded)"};
  void* handle{nullptr};
  sgemm_fn sgemm{nullptr};
  dgemm_fn dgemm{nullptr};
  cgemm_fn cgemm{nullptr};
  Lapack<float> slapack{};
  Lapack<double> dlapack{};
  ComplexLapack clapack{};
  bool has_lapack{false};
};

bool cpu_has_avx512() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

template <typename F>
F symbol(void* handle, const char* name) {
  return reinterpret_cast<F>(dlsym(handle, name));
}

template <typename T>
bool load_lapack(void* h, Lapack<T>& l, const char prefix) {
  auto name = [prefix](const char* base) { return std::string(1, prefix) + base; };
  l.getrf = reinterpret_cast<decltype(l.getrf)>(dlsym(h, name("getrf_").c_str()));
  l.getri = reinterpret_cast<decltype(l.getri)>(dlsym(h, name("getri_").c_str()));
  l.getrs = reinterpret_cast<decltype(l.getrs)>(dlsym(h, name("getrs_").c_str()));
  l.potrf = reinterpret_cast<decltype(l.potrf)>(dlsym(h, name("potrf_").c_str()));
  l.potri = reinterpret_cast<decltype(l.potri)>(dlsym(h, name("potri_").c_str()));
  l.trtri = reinterpret_cast<decltype(l.trtri)>(dlsym(h, name("trtri_").c_str()));
  l.geqrf = reinterpret_cast<decltype(l.geqrf)>(dlsym(h, name("geqrf_").c_str()));
  l.orgqr = reinterpret_cast<decltype(l.orgqr)>(dlsym(h, name("orgqr_").c_str()));
  l.gesdd = reinterpret_cast<decltype(l.gesdd)>(dlsym(h, name("gesdd_").c_str()));
  l.syevd = reinterpret_cast<decltype(l.syevd)>(dlsym(h, name("syevd_").c_str()));
  l.geev = reinterpret_cast<decltype(l.geev)>(dlsym(h, name("geev_").c_str()));
  l.trsm = reinterpret_cast<decltype(l.trsm)>(dlsym(h, name("trsm_").c_str()));
  return l.getrf && l.getri && l.getrs && l.potrf && l.potri && l.trtri && l.geqrf && l.orgqr &&
         l.gesdd && l.syevd && l.geev && l.trsm;
}

bool load_complex_lapack(void* h, ComplexLapack& l) {
  l.gesdd = reinterpret_cast<decltype(l.gesdd)>(dlsym(h, "cgesdd_"));
  l.heevd = reinterpret_cast<decltype(l.heevd)>(dlsym(h, "cheevd_"));
  l.geev = reinterpret_cast<decltype(l.geev)>(dlsym(h, "cgeev_"));
  return l.gesdd && l.heevd && l.geev;
}

Library load() {
  Library lib;
  // MLXCPP_BLAS names another library with the OpenBLAS interface, or "none"
  // for the portable kernels (which the tests use to check them).
  const char* path = std::getenv("MLXCPP_BLAS");
  if (path != nullptr && std::string(path) == "none") {
    lib.info.library = "none: portable kernels (MLXCPP_BLAS=none)";
    return lib;
  }
  const bool set_core = std::getenv("OPENBLAS_CORETYPE") == nullptr && cpu_has_avx512();
  if (set_core) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
  }
  // One thread inside OpenBLAS: gemm() parallelises over our pool instead.
  setenv("OPENBLAS_NUM_THREADS", "1", 0);
  for (const char* candidate : {path, "libopenblas.so.0", "libopenblas.so"}) {
    if (candidate != nullptr && (lib.handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL))) {
      break;
    }
  }
  if (lib.handle == nullptr) {
    return lib;
  }
  lib.sgemm = symbol<sgemm_fn>(lib.handle, "cblas_sgemm");
  lib.dgemm = symbol<dgemm_fn>(lib.handle, "cblas_dgemm");
  lib.cgemm = symbol<cgemm_fn>(lib.handle, "cblas_cgemm");
  if (!lib.sgemm || !lib.dgemm || !lib.cgemm) {
    dlclose(lib.handle);
    lib.handle = nullptr;
    lib.sgemm = nullptr;
    lib.dgemm = nullptr;
    lib.cgemm = nullptr;
    return lib;
  }
  if (auto set_threads = symbol<void (*)(int)>(lib.handle, "openblas_set_num_threads")) {
    set_threads(1);
  }
  lib.has_lapack = load_lapack(lib.handle, lib.slapack, 's') &&
                   load_lapack(lib.handle, lib.dlapack, 'd') &&
                   load_complex_lapack(lib.handle, lib.clapack);
  std::string name = "OpenBLAS";
  if (auto config = symbol<char* (*)()>(lib.handle, "openblas_get_config")) {
    name = config();
  }
  if (auto core = symbol<char* (*)()>(lib.handle, "openblas_get_corename")) {
    name += std::string(" (") + core() + " kernels" +
            (set_core ? ", chosen from the CPU's AVX-512 support" : "") + ")";
  }
  if (!lib.has_lapack) {
    name += ", without LAPACK";
  }
  lib.info = {true, name};
  return lib;
}

const Library& library() {
  static const Library lib = load();
  return lib;
}

// Split C into blocks of rows (or of columns when it is short and wide) and
// run one single-threaded BLAS call per block on the pool.
template <typename Call>
void split_gemm(int64_t m, int64_t n, int64_t k, const Call& call) {
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const int64_t threads = flops < 2e6 ? 1 : num_threads();
  if (threads <= 1) {
    call(0, m, 0, n);
    return;
  }
  if (m >= n) {
    const int64_t block = std::max<int64_t>(16, (m + threads - 1) / threads);
    parallel_for((m + block - 1) / block, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t m0 = i * block;
        call(m0, std::min(m, m0 + block), 0, n);
      }
    });
  } else {
    const int64_t block = std::max<int64_t>(64, (n + threads - 1) / threads);
    parallel_for((n + block - 1) / block, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t n0 = i * block;
        call(0, m, n0, std::min(n, n0 + block));
      }
    });
  }
}

// Portable fallback: C block += op(A) op(B), row by row so the inner loop vectorises.
template <typename T>
void naive_gemm(bool ta, bool tb, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t k,
                T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
                int64_t ldc) {
  std::vector<T> row(n1 - n0);
  for (int64_t i = m0; i < m1; ++i) {
    std::fill(row.begin(), row.end(), T(0));
    for (int64_t p = 0; p < k; ++p) {
      const T av = ta ? a[p * lda + i] : a[i * lda + p];
      for (int64_t j = n0; j < n1; ++j) {
        row[j - n0] += av * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      }
    }
    T* out = c + i * ldc;
    for (int64_t j = n0; j < n1; ++j) {
      out[j] = beta == T(0) ? alpha * row[j - n0] : alpha * row[j - n0] + beta * out[j];
    }
  }
}

// Offsets of a sub-block in row-major operands.
inline int64_t a_offset(bool ta, int64_t m0, int64_t lda) {
  return ta ? m0 : m0 * lda;
}
inline int64_t b_offset(bool tb, int64_t n0, int64_t ldb) {
  return tb ? n0 * ldb : n0;
}

// OpenBLAS reports bad leading dimensions on stderr and returns without writing C;
// a caller's layout bug must fail loudly instead.
void check_gemm_layout(bool ta, bool tb, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                       int64_t ldc) {
  const int64_t min_lda = std::max<int64_t>(1, ta ? m : k);
  const int64_t min_ldb = std::max<int64_t>(1, tb ? k : n);
  const int64_t min_ldc = std::max<int64_t>(1, n);
  const int64_t limit = std::numeric_limits<int>::max();
  if (lda < min_lda || ldb < min_ldb || ldc < min_ldc || m > limit || n > limit || k > limit ||
      lda > limit || ldb > limit || ldc > limit) {
    throw std::logic_error("[gemm] Invalid layout: m=" + std::to_string(m) +
                           " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                           " lda=" + std::to_string(lda) + " ldb=" + std::to_string(ldb) +
                           " ldc=" + std::to_string(ldc) + ".");
  }
}

template <typename T, typename Blas>
void gemm_impl(Blas blas, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) {
    return;
  }
  check_gemm_layout(ta, tb, m, n, k, lda, ldb, ldc);
  split_gemm(m, n, k, [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const T* ab = a + a_offset(ta, m0, lda);
    const T* bb = b + b_offset(tb, n0, ldb);
    T* cb = c + m0 * ldc + n0;
    if (k == 0 || blas == nullptr) {
      naive_gemm(ta, tb, 0, m1 - m0, 0, n1 - n0, k, alpha, ab, lda, bb, ldb, beta, cb, ldc);
      return;
    }
    if constexpr (std::is_same_v<T, complex64_t>) {
      blas(row_major, ta ? trans : no_trans, tb ? trans : no_trans, int(m1 - m0), int(n1 - n0),
           int(k), &alpha, ab, int(lda), bb, int(ldb), &beta, cb, int(ldc));
    } else {
      blas(row_major, ta ? trans : no_trans, tb ? trans : no_trans, int(m1 - m0), int(n1 - n0),
           int(k), alpha, ab, int(lda), bb, int(ldb), beta, cb, int(ldc));
    }
  });
}

}  // namespace

const BlasInfo& blas_info() {
  return library().info;
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_impl(library().sgemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  gemm_impl(library().dgemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, complex64_t alpha,
          const complex64_t* a, int64_t lda, const complex64_t* b, int64_t ldb, complex64_t beta,
          complex64_t* c, int64_t ldc) {
  gemm_impl(library().cgemm, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template <>
const Lapack<float>& lapack<float>() {
  if (!library().has_lapack) {
    throw Unsupported("[linalg] No LAPACK library is available; install OpenBLAS (libopenblas0).");
  }
  return library().slapack;
}

template <>
const Lapack<double>& lapack<double>() {
  if (!library().has_lapack) {
    throw Unsupported("[linalg] No LAPACK library is available; install OpenBLAS (libopenblas0).");
  }
  return library().dlapack;
}

const ComplexLapack& complex_lapack() {
  if (!library().has_lapack) {
    throw Unsupported("[linalg] No LAPACK library is available; install OpenBLAS (libopenblas0).");
  }
  return library().clapack;
}

}  // namespace mlxcpp::cpu
