// linalg ops: argument checks, the LAPACK-backed primitives, and the
// compositions MLX builds from them (norm, pinv, solve, det, cross, ...).
#include "mlxcpp/core/linalg.h"

#include <cmath>
#include <limits>
#include <numeric>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp::linalg {

using detail::invalid;
using detail::shape_str;

namespace {

void check_float(const char* op, Dtype dtype) {
  if (dtype != float32 && dtype != float64) {
    invalid(op, "Arrays must have type float32 or float64; got {}.", dtype_name(dtype));
  }
}

void check_float_or_complex(const char* op, Dtype dtype) {
  if (dtype != float32 && dtype != float64 && dtype != complex64) {
    invalid(op, "Arrays must have type float32, float64 or complex64; got {}.", dtype_name(dtype));
  }
}

void check_matrices(const char* op, const array& a, bool square) {
  if (a.ndim() < 2) {
    invalid(op, "Arrays must have at least 2 dimensions; got shape {}.", shape_str(a.shape()));
  }
  if (square && a.shape(-1) != a.shape(-2)) {
    invalid(op, "Only defined for square matrices; got shape {}.", shape_str(a.shape()));
  }
}

array l2_norm(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  if (issubdtype(a.dtype(), complexfloating)) {
    const array m = abs(a, s);
    return sqrt(sum(multiply(m, m, s), axes, keepdims, s), s);
  }
  return sqrt(sum(square(a, s), axes, keepdims, s), s);
}

array vector_norm(const array& a, double ord, const std::vector<int>& axes, bool keepdims,
                  StreamOrDevice s) {
  const Dtype dtype = detail::at_least_float(a.dtype());
  const double inf = std::numeric_limits<double>::infinity();
  if (ord == 0.0) {
    return astype(sum(not_equal(a, array(0), s), axes, keepdims, s), dtype, s);
  } else if (ord == 1.0) {
    return astype(sum(abs(a, s), axes, keepdims, s), dtype, s);
  } else if (ord == 2.0) {
    return l2_norm(a, axes, keepdims, s);
  } else if (ord == inf) {
    return astype(max(abs(a, s), axes, keepdims, s), dtype, s);
  } else if (ord == -inf) {
    return astype(min(abs(a, s), axes, keepdims, s), dtype, s);
  }
  return power(sum(power(abs(a, s), array(ord, dtype), s), axes, keepdims, s),
               array(1.0 / ord, dtype), s);
}

// The matrices over (row, col) axes moved to the end, as [..., rows, cols].
array matrices_at_end(const array& a, int row, int col, StreamOrDevice s) {
  return row > col ? moveaxis(moveaxis(a, row, -1, s), col, -1, s)
                   : moveaxis(moveaxis(a, col, -1, s), row, -2, s);
}

array restore_kept_axes(array x, int row, int col, bool keepdims, StreamOrDevice s) {
  if (keepdims) {
    x = expand_dims(x, {std::min(row, col), std::max(row, col)}, s);
  }
  return x;
}

array matrix_norm(const array& a, double ord, const std::vector<int>& axes, bool keepdims,
                  StreamOrDevice s) {
  const Dtype dtype = detail::at_least_float(a.dtype());
  const int ndim = static_cast<int>(a.ndim());
  int row = detail::normalize_axis("linalg::norm", axes[0], ndim);
  int col = detail::normalize_axis("linalg::norm", axes[1], ndim);
  if (row == col) {
    invalid("linalg::norm", "The two axes of a matrix norm must differ; got {} and {}.", axes[0],
            axes[1]);
  }
  const double inf = std::numeric_limits<double>::infinity();
  if (ord == 1.0 || ord == -1.0) {
    // Max (min) over columns of the column sums.
    col -= (!keepdims && col > row) ? 1 : 0;
    const array sums = sum(abs(a, s), row, keepdims, s);
    return astype(ord > 0 ? max(sums, col, keepdims, s) : min(sums, col, keepdims, s), dtype, s);
  } else if (ord == inf || ord == -inf) {
    row -= (!keepdims && row > col) ? 1 : 0;
    const array sums = sum(abs(a, s), col, keepdims, s);
    return astype(ord > 0 ? max(sums, row, keepdims, s) : min(sums, row, keepdims, s), dtype, s);
  } else if (ord == 2.0 || ord == -2.0) {
    const array sv = svd(matrices_at_end(a, row, col, s), false, s).at(0);
    const array x = ord > 0 ? max(sv, -1, false, s) : min(sv, -1, false, s);
    return astype(restore_kept_axes(x, row, col, keepdims, s), dtype, s);
  }
  invalid("linalg::norm", "Invalid ord {} for a matrix norm.", ord);
}

}  // namespace

// -------------------------------------------------------------------- norms

array norm(const array& a, const std::optional<std::vector<int>>& axis, bool keepdims,
           StreamOrDevice s) {
  if (!axis) {
    array out = norm(flatten(a, s), std::vector<int>{0}, keepdims, s);
    return keepdims ? reshape(out, Shape(a.ndim(), 1), s) : out;
  }
  if (axis->size() > 2) {
    invalid("linalg::norm", "At most two axes can be given; got {}.", axis->size());
  }
  return l2_norm(a, *axis, keepdims, s);
}

array norm(const array& a, const double ord, const std::optional<std::vector<int>>& axis,
           bool keepdims, StreamOrDevice s) {
  const std::vector<int> axes = axis ? *axis : detail::all_axes(static_cast<int>(a.ndim()));
  if (axes.size() == 1) {
    return vector_norm(a, ord, axes, keepdims, s);
  } else if (axes.size() == 2) {
    return matrix_norm(a, ord, axes, keepdims, s);
  }
  invalid("linalg::norm", "A norm takes one or two axes; got {}.", axes.size());
}

array norm(const array& a, const std::string& ord, const std::optional<std::vector<int>>& axis,
           bool keepdims, StreamOrDevice s) {
  const std::vector<int> axes = axis ? *axis : detail::all_axes(static_cast<int>(a.ndim()));
  if (axes.size() != 2) {
    invalid("linalg::norm", "Norm '{}' is only defined for matrices; got {} axes.", ord,
            axes.size());
  }
  if (ord == "f" || ord == "fro") {
    return l2_norm(a, axes, keepdims, s);
  }
  if (ord != "nuc") {
    invalid("linalg::norm", "Invalid ord '{}' for a matrix norm.", ord);
  }
  const int ndim = static_cast<int>(a.ndim());
  const int row = detail::normalize_axis("linalg::norm", axes[0], ndim);
  const int col = detail::normalize_axis("linalg::norm", axes[1], ndim);
  const array sv = svd(matrices_at_end(a, row, col, s), false, s).at(0);
  return restore_kept_axes(sum(sv, -1, false, s), row, col, keepdims, s);
}

// ----------------------------------------------------------- factorizations

std::pair<array, array> qr(const array& a, StreamOrDevice s) {
  check_float("linalg::qr", a.dtype());
  check_matrices("linalg::qr", a, false);
  const int k = std::min(a.shape(-2), a.shape(-1));
  Shape q_shape = a.shape();
  q_shape.back() = k;
  Shape r_shape = a.shape();
  r_shape[r_shape.size() - 2] = k;
  auto out = array::make_arrays({q_shape, r_shape}, {a.dtype(), a.dtype()},
                                std::make_shared<QRF>(to_stream(s)), {a});
  return {out[0], out[1]};
}

std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s) {
  check_float_or_complex("linalg::svd", a.dtype());
  check_matrices("linalg::svd", a, false);
  const int m = a.shape(-2);
  const int n = a.shape(-1);
  Shape s_shape(a.shape().begin(), a.shape().end() - 1);
  s_shape.back() = std::min(m, n);
  const Dtype s_dtype = a.dtype() == complex64 ? float32 : a.dtype();
  auto primitive = std::make_shared<SVD>(to_stream(s), compute_uv);
  if (!compute_uv) {
    return {array(std::move(s_shape), s_dtype, primitive, {a})};
  }
  Shape u_shape = a.shape();
  u_shape.back() = m;
  Shape vt_shape = a.shape();
  vt_shape[vt_shape.size() - 2] = n;
  return array::make_arrays({u_shape, s_shape, vt_shape}, {a.dtype(), s_dtype, a.dtype()},
                            primitive, {a});
}

namespace {
array inverse(const char* op, const array& a, bool tri, bool upper, StreamOrDevice s) {
  check_float(op, a.dtype());
  check_matrices(op, a, true);
  return array(a.shape(), a.dtype(), std::make_shared<Inverse>(to_stream(s), tri, upper), {a});
}
}  // namespace

array inv(const array& a, StreamOrDevice s) {
  return inverse("linalg::inv", a, false, true, s);
}

array tri_inv(const array& a, bool upper, StreamOrDevice s) {
  return inverse("linalg::tri_inv", a, true, upper, s);
}

array cholesky(const array& a, bool upper, StreamOrDevice s) {
  check_float("linalg::cholesky", a.dtype());
  check_matrices("linalg::cholesky", a, true);
  return array(a.shape(), a.dtype(), std::make_shared<Cholesky>(to_stream(s), upper), {a});
}

array pinv(const array& a, StreamOrDevice s) {
  check_float("linalg::pinv", a.dtype());
  check_matrices("linalg::pinv", a, false);
  const int m = a.shape(-2);
  const int n = a.shape(-1);
  if (a.size() == 0) {
    Shape shape = a.shape();
    std::swap(shape[a.ndim() - 1], shape[a.ndim() - 2]);
    return zeros(shape, a.dtype(), s);
  }
  const int k = std::min(m, n);
  auto usv = svd(a, true, s);
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  stop[a.ndim() - 2] = m;
  stop[a.ndim() - 1] = k;
  const array ut = swapaxes(slice(usv[0], start, stop, s), -1, -2, s);
  stop[a.ndim() - 2] = k;
  stop[a.ndim() - 1] = n;
  const array v = swapaxes(slice(usv[2], start, stop, s), -1, -2, s);
  const array sv = expand_dims(usv[1], -2, s);
  const double rcond = 10.0 * std::max(m, n) * finfo(a.dtype()).eps;
  const array cutoff = multiply(array(rcond, a.dtype()), max(sv, -1, true, s), s);
  const array inv_s = where(greater(sv, cutoff, s), reciprocal(sv, s), array(0.0f, a.dtype()), s);
  return matmul(multiply(v, inv_s, s), ut, s);
}

array cholesky_inv(const array& a, bool upper, StreamOrDevice s) {
  check_float("linalg::cholesky_inv", a.dtype());
  check_matrices("linalg::cholesky_inv", a, true);
  const array f_inv = tri_inv(a, upper, s);
  return upper ? matmul(f_inv, swapaxes(f_inv, -1, -2, s), s)
               : matmul(swapaxes(f_inv, -1, -2, s), f_inv, s);
}

namespace {
std::vector<array> lu_outputs(const char* op, const array& a, StreamOrDevice s) {
  check_float(op, a.dtype());
  check_matrices(op, a, false);
  const int m = a.shape(-2);
  const int n = a.shape(-1);
  Shape pivots_shape(a.shape().begin(), a.shape().end() - 2);
  pivots_shape.push_back(std::min(m, n));
  Shape rows_shape(a.shape().begin(), a.shape().end() - 1);
  return array::make_arrays({a.shape(), pivots_shape, rows_shape}, {a.dtype(), uint32, uint32},
                            std::make_shared<LUF>(to_stream(s)), {a});
}
}  // namespace

std::vector<array> lu(const array& a, StreamOrDevice s) {
  auto out = lu_outputs("linalg::lu", a, s);
  const int m = a.shape(-2);
  const int n = a.shape(-1);
  const int k = std::min(m, n);
  array l = tril(out[0], -1, s);
  array u = triu(out[0], 0, s);
  if (n != k) {
    Shape stop = l.shape();
    stop.back() = k;
    l = slice(l, Shape(l.ndim(), 0), stop, s);
  } else if (m != k) {
    Shape stop = u.shape();
    stop[u.ndim() - 2] = k;
    u = slice(u, Shape(u.ndim(), 0), stop, s);
  }
  l = add(l, eye(m, k, 0, a.dtype(), s), s);
  return {out[2], l, u};
}

std::pair<array, array> lu_factor(const array& a, StreamOrDevice s) {
  auto out = lu_outputs("linalg::lu_factor", a, s);
  return {out[0], out[1]};
}

// ------------------------------------------------------------------ solving

namespace {
void check_solve(const char* op, const array& a, const array& b) {
  if (a.ndim() < 2) {
    invalid(op, "The first input must have at least 2 dimensions; got shape {}.",
            shape_str(a.shape()));
  }
  if (b.ndim() < 1) {
    invalid(op, "The second input must have at least 1 dimension.");
  }
  if (a.shape(-1) != a.shape(-2)) {
    invalid(op, "The first input must be square; got shape {}.", shape_str(a.shape()));
  }
  const int rows = b.ndim() > 1 ? b.shape(-2) : b.shape(-1);
  if (a.shape(-1) != rows) {
    invalid(op, "Shapes {} and {} do not match: a's last dimension must equal b's rows.",
            shape_str(a.shape()), shape_str(b.shape()));
  }
  const Dtype t = promote_types(a.dtype(), b.dtype());
  if (t != float32 && t != float64) {
    invalid(op, "Inputs must promote to float32 or float64; got {} and {}.", dtype_name(a.dtype()),
            dtype_name(b.dtype()));
  }
}
}  // namespace

array solve(const array& a, const array& b, StreamOrDevice s) {
  check_solve("linalg::solve", a, b);
  const Dtype t = promote_types(a.dtype(), b.dtype());
  const auto plu = lu(astype(a, t, s), s);
  array perm = argsort(plu[0], -1, s);
  int axis = -1;
  if (b.ndim() >= 2) {
    perm = expand_dims(perm, -1, s);
    axis = -2;
  }
  const array pb = take_along_axis(astype(b, t, s), perm, axis, s);
  const array y = solve_triangular(plu[1], pb, false, s);
  return solve_triangular(plu[2], y, true, s);
}

array solve_triangular(const array& a, const array& b, bool upper, StreamOrDevice s) {
  check_solve("linalg::solve_triangular", a, b);
  const Dtype t = promote_types(a.dtype(), b.dtype());
  return matmul(tri_inv(astype(a, t, s), upper, s), astype(b, t, s), s);
}

// -------------------------------------------------------------------- cross

array cross(const array& a, const array& b, int axis, StreamOrDevice s) {
  for (const array* x : {&a, &b}) {
    const int ax = detail::normalize_axis("linalg::cross", axis, static_cast<int>(x->ndim()));
    if (x->shape(ax) < 2 || x->shape(ax) > 3) {
      invalid("linalg::cross", "The axis must have size 2 or 3; got shape {}.",
              shape_str(x->shape()));
    }
  }
  const int ax_a = axis < 0 ? axis + static_cast<int>(a.ndim()) : axis;
  const int ax_b = axis < 0 ? axis + static_cast<int>(b.ndim()) : axis;
  const bool a2 = a.shape(ax_a) == 2;
  const bool b2 = b.shape(ax_b) == 2;
  const Dtype t = promote_types(a.dtype(), b.dtype());
  Shape sa = a.shape();
  Shape sb = b.shape();
  sa[ax_a] = 3;
  sb[ax_b] = 3;
  Shape out_shape = broadcast_shapes(sa, sb);
  const int ax = axis < 0 ? axis + static_cast<int>(out_shape.size()) : axis;
  out_shape[ax] = a2 ? 2 : 3;
  const auto x = split(broadcast_to(astype(a, t, s), out_shape, s), a2 ? 2 : 3, ax, s);
  out_shape[ax] = b2 ? 2 : 3;
  const auto y = split(broadcast_to(astype(b, t, s), out_shape, s), b2 ? 2 : 3, ax, s);
  // Missing third components are zero.
  std::vector<array> parts;
  if (a2 && b2) {
    const array z = zeros_like(x[0], s);
    parts = {z, z};
  } else if (b2) {
    parts = {negative(multiply(x[2], y[1], s), s), multiply(x[2], y[0], s)};
  } else if (a2) {
    parts = {multiply(x[1], y[2], s), negative(multiply(x[0], y[2], s), s)};
  } else {
    parts = {subtract(multiply(x[1], y[2], s), multiply(x[2], y[1], s), s),
             subtract(multiply(x[2], y[0], s), multiply(x[0], y[2], s), s)};
  }
  parts.push_back(subtract(multiply(x[0], y[1], s), multiply(x[1], y[0], s), s));
  return concatenate(parts, ax, s);
}

// ------------------------------------------------------------- eigenvalues

std::pair<array, array> eig(const array& a, StreamOrDevice s) {
  check_float_or_complex("linalg::eig", a.dtype());
  check_matrices("linalg::eig", a, true);
  auto out =
      array::make_arrays({Shape(a.shape().begin(), a.shape().end() - 1), a.shape()},
                         {complex64, complex64}, std::make_shared<Eig>(to_stream(s), true), {a});
  return {out[0], out[1]};
}

array eigvals(const array& a, StreamOrDevice s) {
  check_float_or_complex("linalg::eigvals", a.dtype());
  check_matrices("linalg::eigvals", a, true);
  return array(Shape(a.shape().begin(), a.shape().end() - 1), complex64,
               std::make_shared<Eig>(to_stream(s), false), {a});
}

namespace {
void check_uplo(const char* op, const std::string& uplo) {
  if (uplo != "L" && uplo != "U") {
    invalid(op, "UPLO must be 'L' or 'U'; got '{}'.", uplo);
  }
}
}  // namespace

array eigvalsh(const array& a, std::string UPLO, StreamOrDevice s) {
  check_float_or_complex("linalg::eigvalsh", a.dtype());
  check_matrices("linalg::eigvalsh", a, true);
  check_uplo("linalg::eigvalsh", UPLO);
  const Dtype t = a.dtype() == complex64 ? float32 : a.dtype();
  return array(Shape(a.shape().begin(), a.shape().end() - 1), t,
               std::make_shared<Eigh>(to_stream(s), UPLO, false), {a});
}

std::pair<array, array> eigh(const array& a, std::string UPLO, StreamOrDevice s) {
  check_float_or_complex("linalg::eigh", a.dtype());
  check_matrices("linalg::eigh", a, true);
  check_uplo("linalg::eigh", UPLO);
  const Dtype t = a.dtype() == complex64 ? float32 : a.dtype();
  auto out =
      array::make_arrays({Shape(a.shape().begin(), a.shape().end() - 1), a.shape()}, {t, a.dtype()},
                         std::make_shared<Eigh>(to_stream(s), UPLO, true), {a});
  return {out[0], out[1]};
}

// ------------------------------------------------------------ determinants

namespace {

void check_det(const char* op, const array& a) {
  if (issubdtype(a.dtype(), complexfloating)) {
    invalid(op, "Complex inputs are not supported.");
  }
  check_matrices(op, a, true);
}

// Determinants of 0x0 to 3x3 matrices by the explicit formulas.
array small_det(const array& a, StreamOrDevice s) {
  const int n = a.shape(-1);
  if (n == 0) {
    return broadcast_to(array(1.0f, a.dtype()), Shape(a.shape().begin(), a.shape().end() - 2), s);
  }
  auto e = [&](int i, int j) {
    Shape start(a.ndim(), 0);
    Shape stop = a.shape();
    start[a.ndim() - 2] = i;
    stop[a.ndim() - 2] = i + 1;
    start[a.ndim() - 1] = j;
    stop[a.ndim() - 1] = j + 1;
    return squeeze(slice(a, start, stop, s), {-2, -1}, s);
  };
  auto minor = [&](int r0, int c0, int r1, int c1) {
    return subtract(multiply(e(r0, c0), e(r1, c1), s), multiply(e(r0, c1), e(r1, c0), s), s);
  };
  if (n == 1) {
    return e(0, 0);
  } else if (n == 2) {
    return minor(0, 0, 1, 1);
  }
  return add(
      subtract(multiply(e(0, 0), minor(1, 1, 2, 2), s), multiply(e(0, 1), minor(1, 0, 2, 2), s), s),
      multiply(e(0, 2), minor(1, 0, 2, 1), s), s);
}

std::pair<array, array> slogdet_of(const array& a, StreamOrDevice s) {
  const Dtype dtype = a.dtype();
  if (a.shape(-1) <= 3) {
    const array d = small_det(a, s);
    return {sign(d, s), log(abs(d, s), s)};
  }
  auto [packed, pivots] = lu_factor(a, s);
  const array diag = diagonal(packed, 0, -2, -1, s);
  const int k = std::min(a.shape(-2), a.shape(-1));
  // Each pivot that moved a row, and each negative diagonal entry, flips the sign.
  const array swaps =
      astype(sum(not_equal(pivots, arange(0, k, uint32, s), s), -1, false, s), int32, s);
  const array negatives = astype(sum(less(diag, array(0.0f, dtype), s), -1, false, s), int32, s);
  const array parity = remainder(add(swaps, negatives, s), array(2, int32), s);
  array sgn = astype(subtract(array(1, int32), multiply(array(2, int32), parity, s), s), dtype, s);
  array logabs = sum(log(abs(diag, s), s), -1, false, s);
  const array singular = any(equal(diag, array(0.0f, dtype), s), -1, false, s);
  sgn = where(singular, array(0.0f, dtype), sgn, s);
  logabs = where(singular, array(-std::numeric_limits<float>::infinity(), dtype), logabs, s);
  return {sgn, logabs};
}

}  // namespace

namespace {
// The dtype determinants are computed in: LAPACK's float32 for the half types.
Dtype det_compute_dtype(Dtype d) {
  const Dtype t = detail::at_least_float(d);
  return t == float16 || t == bfloat16 ? float32 : t;
}
}  // namespace

std::pair<array, array> slogdet(const array& a, StreamOrDevice s) {
  check_det("linalg::slogdet", a);
  const Dtype out = detail::at_least_float(a.dtype());
  auto [sgn, logabs] = slogdet_of(astype(a, det_compute_dtype(a.dtype()), s), s);
  return {astype(sgn, out, s), astype(logabs, out, s)};
}

array det(const array& a, StreamOrDevice s) {
  check_det("linalg::det", a);
  const Dtype out = detail::at_least_float(a.dtype());
  const array x = astype(a, det_compute_dtype(a.dtype()), s);
  if (x.shape(-1) <= 3) {
    return astype(small_det(x, s), out, s);
  }
  auto [sgn, logabs] = slogdet_of(x, s);
  return astype(multiply(sgn, exp(logabs, s), s), out, s);
}

}  // namespace mlxcpp::linalg
