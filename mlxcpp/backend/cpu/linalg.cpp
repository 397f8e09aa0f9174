// Factorizations through LAPACK: Inverse (general and triangular), Cholesky,
// LUF and QRF, for float32 and float64, in parallel over the batch.
//
// Row-major buffers are handed to LAPACK as the column-major transpose:
// inv(A^T) = inv(A)^T, and a lower triangle row-major is LAPACK's upper one,
// so inverse and Cholesky need no copies; LU and QR transpose in and out.
#include <fmt/format.h>

#include <algorithm>
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
void dispatch_real_lapack(Dtype dtype, const char* op, F f) {
  if (dtype == float32) {
    f(float{});
  } else if (dtype == float64) {
    f(double{});
  } else {
    throw std::invalid_argument(
        fmt::format("[{}] Expected float32 or float64; got {}.", op, dtype_name(dtype)));
  }
}

// Zeroes the strictly upper (keep_lower) or strictly lower triangle of a row-major n x n.
template <typename T>
void zero_triangle(T* a, int n, bool keep_lower) {
  for (int i = 0; i < n; ++i) {
    if (keep_lower) {
      std::fill(a + i * n + i + 1, a + (i + 1) * n, T(0));
    } else {
      std::fill(a + i * n, a + i * n + i, T(0));
    }
  }
}

// In place inverse of one n x n matrix with getrf + getri.
template <typename T>
void invert_general(T* a, int n, int64_t index) {
  const auto& l = cpu::lapack<T>();
  std::vector<int> ipiv(n);
  int info = 0;
  l.getrf(&n, &n, a, &n, ipiv.data(), &info);
  cpu::check_lapack_arguments("linalg::inv", "getrf", info);
  if (info > 0) {
    throw std::invalid_argument(fmt::format(
        "[linalg::inv] Matrix {} of the batch is singular (pivot {} of its LU factorization "
        "is zero).",
        index, info));
  }
  T query{};
  const int minus_one = -1;
  l.getri(&n, a, &n, ipiv.data(), &query, &minus_one, &info);
  const int lwork = cpu::workspace_size(query);
  std::vector<T> work(lwork);
  l.getri(&n, a, &n, ipiv.data(), work.data(), &lwork, &info);
  cpu::check_lapack_arguments("linalg::inv", "getri", info);
}

// In place inverse of one triangular n x n matrix; the other triangle becomes zero.
template <typename T>
void invert_triangular(T* a, int n, bool upper, int64_t index) {
  const char uplo = upper ? 'L' : 'U';
  const char diag = 'N';
  int info = 0;
  cpu::lapack<T>().trtri(&uplo, &diag, &n, a, &n, &info, 1, 1);
  cpu::check_lapack_arguments("linalg::tri_inv", "trtri", info);
  if (info > 0) {
    throw std::invalid_argument(fmt::format(
        "[linalg::tri_inv] Matrix {} of the batch is singular (diagonal entry {} is zero).", index,
        info - 1));
  }
  zero_triangle(a, n, !upper);
}

}  // namespace

void Inverse::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_to_row_major(inputs[0], out);
  const int n = out.shape(-1);
  const int64_t batch = cpu::matrix_batch(out);
  dispatch_real_lapack(out.dtype(), tri_ ? "linalg::tri_inv" : "linalg::inv", [&](auto tag) {
    using T = decltype(tag);
    T* data = out.data<T>();
    cpu::parallel_for(batch, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (tri_) {
          invert_triangular(data + i * n * n, n, upper_, i);
        } else {
          invert_general(data + i * n * n, n, i);
        }
      }
    });
  });
}

void Cholesky::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_to_row_major(inputs[0], out);
  const int n = out.shape(-1);
  const int64_t batch = cpu::matrix_batch(out);
  dispatch_real_lapack(out.dtype(), "linalg::cholesky", [&](auto tag) {
    using T = decltype(tag);
    T* data = out.data<T>();
    const char uplo = upper_ ? 'L' : 'U';
    cpu::parallel_for(batch, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        int info = 0;
        cpu::lapack<T>().potrf(&uplo, &n, data + i * n * n, &n, &info, 1);
        cpu::check_lapack_arguments("linalg::cholesky", "potrf", info);
        if (info > 0) {
          throw std::invalid_argument(fmt::format(
              "[linalg::cholesky] Matrix {} of the batch is not positive definite (its leading "
              "minor of order {} is not positive).",
              i, info));
        }
        zero_triangle(data + i * n * n, n, !upper_);
      }
    });
  });
}

void LUF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array a = cpu::row_major(inputs[0]);
  auto& lu = outputs[0];
  auto& pivots = outputs[1];
  auto& rows = outputs[2];
  for (auto& o : outputs) {
    o.set_data(allocator::malloc(o.nbytes()));
  }
  int m = a.shape(-2);
  int n = a.shape(-1);
  const int k = std::min(m, n);
  const int64_t batch = cpu::matrix_batch(a);
  dispatch_real_lapack(a.dtype(), "linalg::lu", [&](auto tag) {
    using T = decltype(tag);
    cpu::parallel_for(batch, 1, [&](int64_t b, int64_t e) {
      std::vector<T> cm(static_cast<size_t>(m) * n);
      std::vector<int> ipiv(k);
      for (int64_t i = b; i < e; ++i) {
        cpu::transpose_matrix(a.data<T>() + i * m * n, m, n, cm.data());
        int info = 0;
        // A singular U (info > 0) is still a valid factorization.
        cpu::lapack<T>().getrf(&m, &n, cm.data(), &m, ipiv.data(), &info);
        cpu::check_lapack_arguments("linalg::lu", "getrf", info);
        cpu::transpose_matrix(cm.data(), n, m, lu.data<T>() + i * m * n);
        uint32_t* piv = pivots.data<uint32_t>() + i * k;
        uint32_t* perm = rows.data<uint32_t>() + i * m;
        for (int j = 0; j < m; ++j) {
          perm[j] = j;
        }
        for (int j = 0; j < k; ++j) {
          piv[j] = static_cast<uint32_t>(ipiv[j] - 1);
        }
        // The swaps undone in reverse give the rows of L U that make up a: a = (L U)[perm].
        for (int j = k - 1; j >= 0; --j) {
          std::swap(perm[j], perm[piv[j]]);
        }
      }
    });
  });
}

namespace {

// Reduced QR of one m x n matrix given column-major in cm (overwritten): q (row-major
// m x k) and r (row-major k x n).
template <typename T>
void qr_one(T* cm, int m, int n, T* q, T* r) {
  const auto& l = cpu::lapack<T>();
  const int k = std::min(m, n);
  std::vector<T> tau(k);
  int info = 0;
  T query{};
  const int minus_one = -1;
  l.geqrf(&m, &n, cm, &m, tau.data(), &query, &minus_one, &info);
  int lwork = cpu::workspace_size(query);
  std::vector<T> work(lwork);
  l.geqrf(&m, &n, cm, &m, tau.data(), work.data(), &lwork, &info);
  cpu::check_lapack_arguments("linalg::qr", "geqrf", info);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < n; ++j) {
      r[i * n + j] = j < i ? T(0) : cm[i + j * m];
    }
  }
  l.orgqr(&m, &k, &k, cm, &m, tau.data(), &query, &minus_one, &info);
  lwork = cpu::workspace_size(query);
  work.resize(lwork);
  l.orgqr(&m, &k, &k, cm, &m, tau.data(), work.data(), &lwork, &info);
  cpu::check_lapack_arguments("linalg::qr", "orgqr", info);
  cpu::transpose_matrix(cm, k, m, q);
}

}  // namespace

void QRF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array a = cpu::row_major(inputs[0]);
  auto& q = outputs[0];
  auto& r = outputs[1];
  q.set_data(allocator::malloc(q.nbytes()));
  r.set_data(allocator::malloc(r.nbytes()));
  const int m = a.shape(-2);
  const int n = a.shape(-1);
  const int k = std::min(m, n);
  const int64_t batch = cpu::matrix_batch(a);
  dispatch_real_lapack(a.dtype(), "linalg::qr", [&](auto tag) {
    using T = decltype(tag);
    cpu::parallel_for(batch, 1, [&](int64_t b, int64_t e) {
      std::vector<T> cm(static_cast<size_t>(m) * n);
      for (int64_t i = b; i < e; ++i) {
        cpu::transpose_matrix(a.data<T>() + i * m * n, m, n, cm.data());
        qr_one(cm.data(), m, n, q.data<T>() + i * m * k, r.data<T>() + i * k * n);
      }
    });
  });
}

}  // namespace mlxcpp
