// The BLAS and LAPACK behind matmul and linalg.
//
// OpenBLAS is loaded at run time (dlopen) rather than linked: Debian's
// OpenBLAS 0.3.21 does not recognise recent CPUs (Sapphire Rapids, Zen 4/5)
// and falls back to slow kernels unless OPENBLAS_CORETYPE is set before it
// loads. Loading it ourselves lets us choose the core type from the CPU's
// features (AVX-512 -> SkylakeX) when the user has not set one. It runs
// single-threaded; gemm() splits the output across our thread pool instead,
// so BLAS threads never compete with the pool. Without OpenBLAS, gemm falls
// back to a portable kernel and LAPACK calls throw Unsupported.
// MLXCPP_BLAS=path loads another OpenBLAS-compatible library; =none forces
// the portable kernels.
#pragma once

#include <cstdint>
#include <string>

#include "mlxcpp/core/complex.h"

namespace mlxcpp::cpu {

struct BlasInfo {
  bool loaded;
  std::string library;  // e.g. "OpenBLAS 0.3.21 (SkylakeX kernels, chosen from the CPU)"
};

/** Which BLAS serves gemm and linalg (loads it on first use). */
const BlasInfo& blas_info();

/** Row-major C = alpha * op(A) op(B) + beta * C with op = transpose when the flag is set.
 *  lda/ldb/ldc are row strides in elements. Runs on the thread pool. */
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, complex64_t alpha,
          const complex64_t* a, int64_t lda, const complex64_t* b, int64_t ldb, complex64_t beta,
          complex64_t* c, int64_t ldc);

/** The LAPACK routines linalg uses (Fortran interface, column-major), for float or double.
 *  Trailing size_t arguments are the hidden lengths of character arguments. */
template <typename T>
struct Lapack {
  void (*getrf)(const int* m, const int* n, T* a, const int* lda, int* ipiv, int* info);
  void (*getri)(const int* n, T* a, const int* lda, const int* ipiv, T* work, const int* lwork,
                int* info);
  void (*getrs)(const char* trans, const int* n, const int* nrhs, const T* a, const int* lda,
                const int* ipiv, T* b, const int* ldb, int* info, size_t);
  void (*potrf)(const char* uplo, const int* n, T* a, const int* lda, int* info, size_t);
  void (*potri)(const char* uplo, const int* n, T* a, const int* lda, int* info, size_t);
  void (*trtri)(const char* uplo, const char* diag, const int* n, T* a, const int* lda, int* info,
                size_t, size_t);
  void (*geqrf)(const int* m, const int* n, T* a, const int* lda, T* tau, T* work, const int* lwork,
                int* info);
  void (*orgqr)(const int* m, const int* n, const int* k, T* a, const int* lda, const T* tau,
                T* work, const int* lwork, int* info);
  void (*gesdd)(const char* jobz, const int* m, const int* n, T* a, const int* lda, T* s, T* u,
                const int* ldu, T* vt, const int* ldvt, T* work, const int* lwork, int* iwork,
                int* info, size_t);
  void (*syevd)(const char* jobz, const char* uplo, const int* n, T* a, const int* lda, T* w,
                T* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t,
                size_t);
  void (*geev)(const char* jobvl, const char* jobvr, const int* n, T* a, const int* lda, T* wr,
               T* wi, T* vl, const int* ldvl, T* vr, const int* ldvr, T* work, const int* lwork,
               int* info, size_t, size_t);
  void (*trsm)(const char* side, const char* uplo, const char* transa, const char* diag,
               const int* m, const int* n, const T* alpha, const T* a, const int* lda, T* b,
               const int* ldb, size_t, size_t, size_t, size_t);
};

/** The complex64 LAPACK routines linalg uses (svd, eigh, eig). */
struct ComplexLapack {
  void (*gesdd)(const char* jobz, const int* m, const int* n, complex64_t* a, const int* lda,
                float* s, complex64_t* u, const int* ldu, complex64_t* vt, const int* ldvt,
                complex64_t* work, const int* lwork, float* rwork, int* iwork, int* info, size_t);
  void (*heevd)(const char* jobz, const char* uplo, const int* n, complex64_t* a, const int* lda,
                float* w, complex64_t* work, const int* lwork, float* rwork, const int* lrwork,
                int* iwork, const int* liwork, int* info, size_t, size_t);
  void (*geev)(const char* jobvl, const char* jobvr, const int* n, complex64_t* a, const int* lda,
               complex64_t* w, complex64_t* vl, const int* ldvl, complex64_t* vr, const int* ldvr,
               complex64_t* work, const int* lwork, float* rwork, int* info, size_t, size_t);
};

/** LAPACK for T (float or double); throws Unsupported when no LAPACK library could be loaded. */
template <typename T>
const Lapack<T>& lapack();

/** LAPACK for complex64; throws Unsupported when no LAPACK library could be loaded. */
const ComplexLapack& complex_lapack();

}  // namespace mlxcpp::cpu
