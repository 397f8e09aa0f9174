// Linear algebra with MLX's API (mlx/linalg.h), on the last two axes of
// batched arrays, through LAPACK (OpenBLAS).
//
// Factorizations take float32 or float64 (svd, eigh, eig also complex64).
// Matrices LAPACK cannot factor throw from eval: std::invalid_argument for a
// singular matrix (inv, tri_inv, solve) or one that is not positive definite
// (cholesky), std::runtime_error when an iteration does not converge.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/stream.h"
#include "mlxcpp/core/utils.h"

namespace mlxcpp::linalg {

/** Vector (one axis) or matrix (two axes) norm of order ord: for vectors any real p,
 *  0 (count of non-zeros) and +-inf; for matrices 1, -1, 2, -2 (singular values), +-inf.
 *  Without axes: all axes (which must then be one or two). */
array norm(const array& a, const double ord,
           const std::optional<std::vector<int>>& axis = std::nullopt, bool keepdims = false,
           StreamOrDevice s = {});
inline array norm(const array& a, const double ord, int axis, bool keepdims = false,
                  StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}
/** Matrix norm "fro" (or "f") or "nuc" (sum of singular values). */
array norm(const array& a, const std::string& ord,
           const std::optional<std::vector<int>>& axis = std::nullopt, bool keepdims = false,
           StreamOrDevice s = {});
inline array norm(const array& a, const std::string& ord, int axis, bool keepdims = false,
                  StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}
/** 2-norm over axes (Frobenius for two); of the flattened array without axes. */
array norm(const array& a, const std::optional<std::vector<int>>& axis = std::nullopt,
           bool keepdims = false, StreamOrDevice s = {});
inline array norm(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {}) {
  return norm(a, std::vector<int>{axis}, keepdims, s);
}

/** Reduced QR: Q [..., m, k] with orthonormal columns and upper triangular R [..., k, n]. */
std::pair<array, array> qr(const array& a, StreamOrDevice s = {});

/** Singular value decomposition: {U [..., m, m], S [..., k] descending, Vt [..., n, n]}
 *  with a = U[:, :k] diag(S) Vt[:k]; only {S} without compute_uv. */
std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s = {});
inline std::vector<array> svd(const array& a, StreamOrDevice s = {}) {
  return svd(a, true, s);
}

/** Inverse of square matrices. */
array inv(const array& a, StreamOrDevice s = {});
/** Inverse of triangular matrices (only the lower, or upper, triangle is read). */
array tri_inv(const array& a, bool upper = false, StreamOrDevice s = {});
/** Cholesky factor L (lower, a = L L^T) or U (upper, a = U^T U) of symmetric positive
 *  definite matrices; only that triangle of a is read. */
array cholesky(const array& a, bool upper = false, StreamOrDevice s = {});
/** Moore-Penrose pseudo-inverse through the SVD (singular values below
 *  10 * max(m, n) * eps * max(S) count as zero). */
array pinv(const array& a, StreamOrDevice s = {});
/** Inverse of a from its Cholesky factor. */
array cholesky_inv(const array& a, bool upper = false, StreamOrDevice s = {});

/** {perm, L, U} with a = L[perm] @ U: L [..., m, k] unit lower, U [..., k, n] upper. */
std::vector<array> lu(const array& a, StreamOrDevice s = {});
/** {LU packed [..., m, n], pivots [..., k]} as LAPACK's getrf (pivots 0-based, uint32). */
std::pair<array, array> lu_factor(const array& a, StreamOrDevice s = {});

/** x with a @ x = b for square a (b: [..., n] or [..., n, nrhs]). */
array solve(const array& a, const array& b, StreamOrDevice s = {});
/** x with a @ x = b for triangular a. */
array solve_triangular(const array& a, const array& b, bool upper = false, StreamOrDevice s = {});

/** Cross product of 3-vectors (2-vectors have a zero third entry) along axis. */
array cross(const array& a, const array& b, int axis = -1, StreamOrDevice s = {});

/** Eigenvalues and right eigenvectors (columns) of general square matrices (complex64). */
std::pair<array, array> eig(const array& a, StreamOrDevice s = {});
array eigvals(const array& a, StreamOrDevice s = {});
/** Eigenvalues (ascending) of Hermitian matrices, reading the triangle UPLO. */
array eigvalsh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});
/** Eigenvalues (ascending) and orthonormal eigenvectors (columns) of Hermitian matrices. */
std::pair<array, array> eigh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});

/** Determinant of square matrices. */
array det(const array& a, StreamOrDevice s = {});
/** {sign, log |det|} of square matrices (sign 0 and -inf for singular ones). */
std::pair<array, array> slogdet(const array& a, StreamOrDevice s = {});

}  // namespace mlxcpp::linalg
