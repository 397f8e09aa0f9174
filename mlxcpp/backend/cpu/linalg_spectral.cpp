// Spectral decompositions through LAPACK: SVD (gesdd), Eigh (syevd/heevd)
// and Eig (geev), for float32, float64 and complex64, in parallel over the batch.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "mlxcpp/backend/cpu/blas.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/lapack_util.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

template <typename F>
void dispatch_lapack(Dtype dtype, const char* op, F f) {
  if (dtype == float32) {
    f(float{});
  } else if (dtype == float64) {
    f(double{});
  } else if (dtype == complex64) {
    f(complex64_t{});
  } else {
    throw std::invalid_argument(
        fmt::format("[{}] Expected float32, float64 or complex64; got {}.", op, dtype_name(dtype)));
  }
}

// The real type of T (float for complex64).
template <typename T>
using real_t = std::conditional_t<std::is_same_v<T, complex64_t>, float, T>;

void check_converged(const char* op, const char* routine, int info, int64_t index) {
  cpu::check_lapack_arguments(op, routine, info);
  if (info > 0) {
    throw std::runtime_error(
        fmt::format("[{}] LAPACK {} did not converge on matrix {} of the batch (info {}).", op,
                    routine, index, info));
  }
}

// Iterative LAPACK routines are not guaranteed to stop on NaN or infinity.
template <typename T>
void check_finite(const array& a, const char* op) {
  const T* p = a.data<T>();
  for (size_t i = 0; i < a.size(); ++i) {
    bool finite;
    if constexpr (std::is_same_v<T, complex64_t>) {
      finite = std::isfinite(p[i].real()) && std::isfinite(p[i].imag());
    } else {
      finite = std::isfinite(p[i]);
    }
    if (!finite) {
      throw std::invalid_argument(
          fmt::format("[{}] The input has a non-finite value (at flat index {}).", op, i));
    }
  }
}

// ------------------------------------------------------------------------- SVD

// gesdd on one matrix. The row-major m x n buffer `a` is LAPACK's n x m A^T = U' S V'^H,
// so A's U is V'^H read row-major and A's Vt is U' read row-major: LAPACK's vt argument
// receives our U and its u argument our Vt (no conjugation needed for complex either).
template <typename T>
void svd_one(T* a, int m, int n, real_t<T>* s, T* u, T* vt, bool compute_uv, int64_t index) {
  const char jobz = compute_uv ? 'A' : 'N';
  const int k = std::min(m, n);
  int lm = n;  // LAPACK's rows
  int ln = m;
  const int ldu = compute_uv ? n : 1;
  const int ldvt = compute_uv ? m : 1;
  T dummy{};
  T* lu = compute_uv ? vt : &dummy;
  T* lvt = compute_uv ? u : &dummy;
  std::vector<int> iwork(8 * static_cast<size_t>(k));
  int info = 0;
  T query{};
  const int minus_one = -1;
  if constexpr (std::is_same_v<T, complex64_t>) {
    const auto& l = cpu::complex_lapack();
    const int mx = std::max(m, n);
    const size_t lrwork = compute_uv
                              ? static_cast<size_t>(k) * std::max(5 * k + 7, 2 * mx + 2 * k + 1)
                              : 7 * static_cast<size_t>(k);
    std::vector<float> rwork(std::max<size_t>(1, lrwork));
    l.gesdd(&jobz, &lm, &ln, a, &lm, s, lu, &ldu, lvt, &ldvt, &query, &minus_one, rwork.data(),
            iwork.data(), &info, 1);
    const int lwork = cpu::workspace_size(query);
    std::vector<T> work(lwork);
    l.gesdd(&jobz, &lm, &ln, a, &lm, s, lu, &ldu, lvt, &ldvt, work.data(), &lwork, rwork.data(),
            iwork.data(), &info, 1);
  } else {
    const auto& l = cpu::lapack<T>();
    l.gesdd(&jobz, &lm, &ln, a, &lm, s, lu, &ldu, lvt, &ldvt, &query, &minus_one, iwork.data(),
            &info, 1);
    const int lwork = cpu::workspace_size(query);
    std::vector<T> work(lwork);
    l.gesdd(&jobz, &lm, &ln, a, &lm, s, lu, &ldu, lvt, &ldvt, work.data(), &lwork, iwork.data(),
            &info, 1);
  }
  check_converged("linalg::svd", "gesdd", info, index);
}

// Identity matrices for each n x n block of an output (U and Vt of empty inputs).
template <typename T>
void fill_identity(array& o) {
  T* p = o.data<T>();
  const int64_t n = o.shape(-1);
  std::fill(p, p + o.size(), T(0));
  for (size_t b = 0; b < o.size(); b += static_cast<size_t>(n * n)) {
    for (int64_t j = 0; j < n; ++j) {
      p[b + j * n + j] = T(1);
    }
  }
}

}  // namespace

void SVD::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array a = cpu::row_major(inputs[0]);
  for (auto& o : outputs) {
    o.set_data(allocator::malloc(o.nbytes()));
  }
  const int m = a.shape(-2);
  const int n = a.shape(-1);
  const int k = std::min(m, n);
  dispatch_lapack(a.dtype(), "linalg::svd", [&](auto tag) {
    using T = decltype(tag);
    if (m == 0 || n == 0) {
      if (compute_uv_) {
        fill_identity<T>(outputs[0]);
        fill_identity<T>(outputs[2]);
      }
      return;
    }
    check_finite<T>(a, "linalg::svd");
    array& s = compute_uv_ ? outputs[1] : outputs[0];
    const int64_t batch = cpu::matrix_batch(a);
    cpu::parallel_for(batch, 1, [&](int64_t b, int64_t e) {
      std::vector<T> work(static_cast<size_t>(m) * n);
      for (int64_t i = b; i < e; ++i) {
        std::copy_n(a.data<T>() + i * m * n, work.size(), work.data());
        T* u = compute_uv_ ? outputs[0].data<T>() + i * m * m : nullptr;
        T* vt = compute_uv_ ? outputs[2].data<T>() + i * n * n : nullptr;
        svd_one<T>(work.data(), m, n, s.data<real_t<T>>() + i * k, u, vt, compute_uv_, i);
      }
    });
  });
}

// ------------------------------------------------------------------------ Eigh

namespace {

// syevd / heevd on one n x n matrix (overwritten with its eigenvectors, column-major).
template <typename T>
void eigh_one(T* a, int n, real_t<T>* w, char jobz, char uplo, int64_t index) {
  int info = 0;
  T query{};
  int iquery = 0;
  const int minus_one = -1;
  if constexpr (std::is_same_v<T, complex64_t>) {
    const auto& l = cpu::complex_lapack();
    float rquery = 0;
    l.heevd(&jobz, &uplo, &n, a, &n, w, &query, &minus_one, &rquery, &minus_one, &iquery,
            &minus_one, &info, 1, 1);
    const int lwork = cpu::workspace_size(query);
    const int lrwork = cpu::workspace_size(rquery);
    const int liwork = std::max(1, iquery);
    std::vector<T> work(lwork);
    std::vector<float> rwork(lrwork);
    std::vector<int> iwork(liwork);
    l.heevd(&jobz, &uplo, &n, a, &n, w, work.data(), &lwork, rwork.data(), &lrwork, iwork.data(),
            &liwork, &info, 1, 1);
  } else {
    const auto& l = cpu::lapack<T>();
    l.syevd(&jobz, &uplo, &n, a, &n, w, &query, &minus_one, &iquery, &minus_one, &info, 1, 1);
    const int lwork = cpu::workspace_size(query);
    const int liwork = std::max(1, iquery);
    std::vector<T> work(lwork);
    std::vector<int> iwork(liwork);
    l.syevd(&jobz, &uplo, &n, a, &n, w, work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  }
  check_converged("linalg::eigh", "syevd", info, index);
}

}  // namespace

void Eigh::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array a = cpu::row_major(inputs[0]);
  for (auto& o : outputs) {
    o.set_data(allocator::malloc(o.nbytes()));
  }
  const int n = a.shape(-1);
  const int64_t batch = cpu::matrix_batch(a);
  // The row-major buffer is A^T (conj(A) for Hermitian A), whose upper triangle is A's lower.
  const char uplo = uplo_ == "L" ? 'U' : 'L';
  const char jobz = compute_eigenvectors_ ? 'V' : 'N';
  dispatch_lapack(a.dtype(), "linalg::eigh", [&](auto tag) {
    using T = decltype(tag);
    check_finite<T>(a, "linalg::eigh");
    cpu::parallel_for(batch, 1, [&](int64_t b, int64_t e) {
      std::vector<T> work(static_cast<size_t>(n) * n);
      for (int64_t i = b; i < e; ++i) {
        std::copy_n(a.data<T>() + i * n * n, work.size(), work.data());
        eigh_one<T>(work.data(), n, outputs[0].data<real_t<T>>() + i * n, jobz, uplo, i);
        if (!compute_eigenvectors_) {
          continue;
        }
        // Eigenvectors of conj(A) are the conjugates of A's; columns come back column-major.
        T* v = outputs[1].data<T>() + i * n * n;
        cpu::transpose_matrix(work.data(), n, n, v);
        if constexpr (std::is_same_v<T, complex64_t>) {
          for (int64_t j = 0; j < int64_t(n) * n; ++j) {
            v[j] = std::conj(v[j]);
          }
        }
      }
    });
  });
}

// ------------------------------------------------------------------------- Eig

namespace {

// geev on one n x n matrix given column-major in a (overwritten): eigenvalues w and,
// when vectors is set, right eigenvectors as the row-major columns of `vectors`.
template <typename T>
void eig_one(T* a, int n, complex64_t* w, complex64_t* vectors, int64_t index) {
  const char jobvl = 'N';
  const char jobvr = vectors != nullptr ? 'V' : 'N';
  const int ldvr = vectors != nullptr ? n : 1;
  const int one = 1;
  int info = 0;
  T query{};
  const int minus_one = -1;
  std::vector<T> vr(vectors != nullptr ? static_cast<size_t>(n) * n : 1);
  T dummy{};
  if constexpr (std::is_same_v<T, complex64_t>) {
    const auto& l = cpu::complex_lapack();
    std::vector<float> rwork(2 * static_cast<size_t>(n));
    l.geev(&jobvl, &jobvr, &n, a, &n, w, &dummy, &one, vr.data(), &ldvr, &query, &minus_one,
           rwork.data(), &info, 1, 1);
    const int lwork = cpu::workspace_size(query);
    std::vector<T> work(lwork);
    l.geev(&jobvl, &jobvr, &n, a, &n, w, &dummy, &one, vr.data(), &ldvr, work.data(), &lwork,
           rwork.data(), &info, 1, 1);
    check_converged("linalg::eig", "geev", info, index);
    if (vectors != nullptr) {
      cpu::transpose_matrix(vr.data(), n, n, vectors);
    }
  } else {
    const auto& l = cpu::lapack<T>();
    std::vector<T> wr(n), wi(n);
    l.geev(&jobvl, &jobvr, &n, a, &n, wr.data(), wi.data(), &dummy, &one, vr.data(), &ldvr, &query,
           &minus_one, &info, 1, 1);
    const int lwork = cpu::workspace_size(query);
    std::vector<T> work(lwork);
    l.geev(&jobvl, &jobvr, &n, a, &n, wr.data(), wi.data(), &dummy, &one, vr.data(), &ldvr,
           work.data(), &lwork, &info, 1, 1);
    check_converged("linalg::eig", "geev", info, index);
    for (int j = 0; j < n; ++j) {
      w[j] = complex64_t(static_cast<float>(wr[j]), static_cast<float>(wi[j]));
    }
    if (vectors == nullptr) {
      return;
    }
    // A complex pair (j, j + 1) stores Re in column j and Im in column j + 1.
    for (int j = 0; j < n; ++j) {
      const bool pair = wi[j] != 0 && j + 1 < n;
      for (int i = 0; i < n; ++i) {
        const float re = static_cast<float>(vr[j * n + i]);
        const float im = pair ? static_cast<float>(vr[(j + 1) * n + i]) : 0.0f;
        vectors[i * n + j] = complex64_t(re, im);
        if (pair) {
          vectors[i * n + j + 1] = complex64_t(re, -im);
        }
      }
      j += pair ? 1 : 0;
    }
  }
}

}  // namespace

void Eig::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array a = cpu::row_major(inputs[0]);
  for (auto& o : outputs) {
    o.set_data(allocator::malloc(o.nbytes()));
  }
  const int n = a.shape(-1);
  const int64_t batch = cpu::matrix_batch(a);
  dispatch_lapack(a.dtype(), "linalg::eig", [&](auto tag) {
    using T = decltype(tag);
    check_finite<T>(a, "linalg::eig");
    cpu::parallel_for(batch, 1, [&](int64_t b, int64_t e) {
      std::vector<T> cm(static_cast<size_t>(n) * n);
      for (int64_t i = b; i < e; ++i) {
        cpu::transpose_matrix(a.data<T>() + i * n * n, n, n, cm.data());
        complex64_t* vectors =
            compute_eigenvectors_ ? outputs[1].data<complex64_t>() + i * n * n : nullptr;
        eig_one<T>(cm.data(), n, outputs[0].data<complex64_t>() + i * n, vectors, i);
      }
    });
  });
}

}  // namespace mlxcpp
