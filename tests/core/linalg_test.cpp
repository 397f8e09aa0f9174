// linalg: each decomposition checked by its defining identities (reconstruction,
// orthogonality, triangularity) on random batches, against exact small cases and
// NumPy-known values, plus every error path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

namespace la = mlxcpp::linalg;

// Random matrices [batch..., m, n] of dtype with entries in [-1, 1).
array random_matrix(const Shape& shape, Dtype dtype, uint32_t seed) {
  size_t n = 1;
  for (auto d : shape) {
    n *= d;
  }
  return make_array(random_values(n, -1, 1, seed), shape, dtype);
}

// Symmetric positive definite: a a^T + n I.
array spd_matrix(int n, Dtype dtype, uint32_t seed) {
  const array a = random_matrix({n, n}, dtype, seed);
  return add(matmul(a, transpose(a)), multiply(array(static_cast<float>(n), dtype), eye(n, dtype)));
}

void expect_all_close(const array& got, const array& expected, double atol) {
  ASSERT_EQ(got.shape(), expected.shape());
  expect_close(got, values<double>(expected), atol);
}

array identity_batch(const Shape& batch, int n, Dtype dtype) {
  Shape shape = batch;
  shape.push_back(n);
  shape.push_back(n);
  return broadcast_to(eye(n, dtype), shape);
}

array mT(const array& a) {
  return swapaxes(a, -1, -2);
}

// ------------------------------------------------------------ inverse & co

TEST(LinalgInv, BatchedInverseTimesMatrixIsIdentity) {
  for (Dtype dt : {float32, float64}) {
    const array a = random_matrix({3, 2, 6, 6}, dt, 1);
    const array ai = la::inv(a);
    const double tol = dt == float32 ? 2e-4 : 1e-11;
    expect_all_close(matmul(a, ai), identity_batch({3, 2}, 6, dt), tol);
    expect_all_close(matmul(ai, a), identity_batch({3, 2}, 6, dt), tol);
  }
  // Exact small case: inv([[4, 7], [2, 6]]) = [[0.6, -0.7], [-0.2, 0.4]].
  expect_close(la::inv(array({4.0, 7.0, 2.0, 6.0}, {2, 2}, float64)), {0.6, -0.7, -0.2, 0.4},
               1e-15);
  // A transposed (non-contiguous) input.
  const array b = random_matrix({5, 5}, float64, 2);
  expect_all_close(la::inv(transpose(b)), transpose(la::inv(b)), 1e-12);
}

TEST(LinalgInv, SingularMatrixThrowsFromEval) {
  const array a = array({1.0f, 2.0f, 2.0f, 4.0f}, {2, 2});
  array ai = la::inv(a);
  try {
    ai.eval();
    ADD_FAILURE() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("singular"), std::string::npos) << e.what();
  }
}

TEST(LinalgInv, TriangularInverse) {
  const array a = random_matrix({2, 5, 5}, float64, 3);
  for (bool upper : {false, true}) {
    // Only the chosen triangle is read; make its diagonal safely non-zero.
    const array t = add(upper ? triu(a) : tril(a), multiply(array(3.0), eye(5, float64)));
    const array full = add(a, multiply(array(3.0), eye(5, float64)));
    const array ti = la::tri_inv(full, upper);
    expect_all_close(matmul(t, ti), identity_batch({2}, 5, float64), 1e-12);
    // The other triangle of the result is exactly zero.
    expect_all_close(upper ? tril(ti, -1) : triu(ti, 1), zeros({2, 5, 5}, float64), 0.0);
  }
  EXPECT_THROW(la::tri_inv(zeros({3, 3})).eval(), std::invalid_argument);
}

TEST(LinalgCholesky, FactorReconstructsAndInverts) {
  for (Dtype dt : {float32, float64}) {
    const array a = spd_matrix(7, dt, 4);
    const double tol = dt == float32 ? 1e-4 : 1e-12;
    const array l = la::cholesky(a);
    expect_all_close(matmul(l, transpose(l)), a, tol);
    expect_all_close(triu(l, 1), zeros({7, 7}, dt), 0.0);
    const array u = la::cholesky(a, true);
    expect_all_close(matmul(transpose(u), u), a, tol);
    expect_all_close(tril(u, -1), zeros({7, 7}, dt), 0.0);
    expect_all_close(matmul(la::cholesky_inv(l), a), eye(7, dt), tol * 10);
    expect_all_close(matmul(la::cholesky_inv(u, true), a), eye(7, dt), tol * 10);
  }
  // Exact: [[4, 2], [2, 5]] = L L^T with L = [[2, 0], [1, 2]].
  expect_close(la::cholesky(array({4.0, 2.0, 2.0, 5.0}, {2, 2}, float64)), {2, 0, 1, 2}, 1e-15);
}

TEST(LinalgCholesky, NotPositiveDefiniteThrows) {
  const array a = array({1.0f, 2.0f, 2.0f, 1.0f}, {2, 2});
  try {
    la::cholesky(a).eval();
    ADD_FAILURE() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not positive definite"), std::string::npos);
  }
}

TEST(LinalgPinv, MoorePenroseConditions) {
  for (const Shape& shape : {Shape{4, 6}, Shape{6, 4}, Shape{2, 5, 3}}) {
    const array a = random_matrix(shape, float64, 5);
    const array p = la::pinv(a);
    expect_all_close(matmul(matmul(a, p), a), a, 1e-12);
    expect_all_close(matmul(matmul(p, a), p), p, 1e-12);
    expect_all_close(mT(matmul(a, p)), matmul(a, p), 1e-12);
  }
  // Rank deficient: pinv of [[1, 1], [1, 1]] is [[.25, .25], [.25, .25]].
  expect_close(la::pinv(array({1.0, 1.0, 1.0, 1.0}, {2, 2}, float64)), {.25, .25, .25, .25}, 1e-14);
  EXPECT_EQ(la::pinv(zeros({3, 0})).shape(), (Shape{0, 3}));
}

// ------------------------------------------------------------------- LU/QR

TEST(LinalgLU, PermutedProductReconstructs) {
  for (const Shape& shape : {Shape{5, 5}, Shape{3, 4, 6}, Shape{6, 4}}) {
    const array a = random_matrix(shape, float64, 6);
    auto plu = la::lu(a);
    const array p = plu[0];
    const array l = plu[1];
    const array u = plu[2];
    const int m = shape[shape.size() - 2];
    const int n = shape.back();
    const int k = std::min(m, n);
    EXPECT_EQ(l.shape().back(), k);
    EXPECT_EQ(u.shape()[u.ndim() - 2], k);
    // a = L[perm] @ U.
    const array lu_rows = matmul(l, u);
    const array rebuilt = take_along_axis(lu_rows, expand_dims(p, -1), -2);
    expect_all_close(rebuilt, a, 1e-12);
    // Unit lower triangular L, upper triangular U.
    EXPECT_TRUE(all(equal(diagonal(l, 0, -2, -1), array(1.0))).item<bool>());
    EXPECT_TRUE(all(equal(triu(l, 1), array(0.0))).item<bool>());
    EXPECT_TRUE(all(equal(tril(u, -1), array(0.0))).item<bool>());
  }
}

TEST(LinalgLU, FactorPivotsFollowLapack) {
  // [[1, 2], [3, 4]]: getrf swaps rows 0 and 1 (pivot 1), then no swap.
  auto [packed, pivots] = la::lu_factor(array({1.0, 2.0, 3.0, 4.0}, {2, 2}, float64));
  expect_values<uint32_t>(pivots, {2}, uint32, {1, 1});
  expect_close(packed, {3, 4, 1.0 / 3, 2 - 4.0 / 3}, 1e-15);
}

TEST(LinalgQR, OrthonormalQAndTriangularR) {
  for (const Shape& shape : {Shape{6, 4}, Shape{4, 6}, Shape{3, 5, 5}}) {
    for (Dtype dt : {float32, float64}) {
      const array a = random_matrix(shape, dt, 7);
      auto [q, r] = la::qr(a);
      const int k = std::min(shape[shape.size() - 2], shape.back());
      const double tol = dt == float32 ? 1e-5 : 1e-13;
      expect_all_close(matmul(q, r), a, tol);
      expect_all_close(matmul(mT(q), q),
                       identity_batch(Shape(shape.begin(), shape.end() - 2), k, dt), tol);
      expect_all_close(tril(r, -1), zeros_like(r), 0.0);
    }
  }
}

// -------------------------------------------------------------------- SVD

TEST(LinalgSVD, ReconstructsForEveryShapeAndDtype) {
  for (const Shape& shape : {Shape{5, 3}, Shape{3, 5}, Shape{2, 4, 4}}) {
    for (Dtype dt : {float32, float64}) {
      const array a = random_matrix(shape, dt, 8);
      auto usv = la::svd(a);
      const int m = shape[shape.size() - 2];
      const int n = shape.back();
      const int k = std::min(m, n);
      const Shape batch(shape.begin(), shape.end() - 2);
      const double tol = dt == float32 ? 2e-5 : 1e-13;
      expect_all_close(matmul(mT(usv[0]), usv[0]), identity_batch(batch, m, dt), tol);
      expect_all_close(matmul(usv[2], mT(usv[2])), identity_batch(batch, n, dt), tol);
      Shape start(shape.size(), 0);
      Shape stop_u = usv[0].shape();
      stop_u.back() = k;
      Shape stop_v = usv[2].shape();
      stop_v[stop_v.size() - 2] = k;
      const array rebuilt = matmul(multiply(slice(usv[0], start, stop_u), expand_dims(usv[1], -2)),
                                   slice(usv[2], start, stop_v));
      expect_all_close(rebuilt, a, tol * 5);
      // Singular values alone agree, descending and non-negative.
      expect_all_close(la::svd(a, false)[0], usv[1], tol);
      const auto sv = values<double>(usv[1]);
      for (size_t i = 0; i + 1 < sv.size(); ++i) {
        if ((i + 1) % k != 0) {
          EXPECT_GE(sv[i], sv[i + 1]);
        }
      }
    }
  }
  // Exact: [[3, 0], [0, -4]] has singular values 4 and 3.
  expect_close(la::svd(array({3.0f, 0.0f, 0.0f, -4.0f}, {2, 2}), false)[0], {4, 3}, 1e-6);
}

TEST(LinalgSVD, ComplexInput) {
  const array re = random_matrix({4, 3}, float32, 9);
  const array im = random_matrix({4, 3}, float32, 10);
  const array a =
      add(astype(re, complex64), multiply(array(std::complex<float>(0, 1)), astype(im, complex64)));
  auto usv = la::svd(a);
  EXPECT_EQ(usv[1].dtype(), float32);
  Shape start{0, 0};
  const array u = slice(usv[0], start, {4, 3});
  const array rebuilt = matmul(multiply(u, astype(expand_dims(usv[1], -2), complex64)), usv[2]);
  expect_close(real(rebuilt), values<double>(re), 1e-5);
  expect_close(imag(rebuilt), values<double>(im), 1e-5);
}

TEST(LinalgSVD, EmptyMatrixGivesIdentityFactors) {
  auto usv = la::svd(zeros({3, 0}));
  expect_values<float>(usv[0], {3, 3}, float32, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  EXPECT_EQ(usv[1].shape(), (Shape{0}));
  EXPECT_EQ(usv[2].shape(), (Shape{0, 0}));
}

// -------------------------------------------------------------- eigensystems

TEST(LinalgEigh, SymmetricDecomposition) {
  for (Dtype dt : {float32, float64}) {
    const array b = random_matrix({2, 6, 6}, dt, 11);
    const array a = add(b, mT(b));
    auto [w, v] = la::eigh(a);
    const double tol = dt == float32 ? 2e-5 : 1e-12;
    // A V = V diag(w), V orthonormal, w ascending.
    expect_all_close(matmul(a, v), multiply(v, expand_dims(w, -2)), tol);
    expect_all_close(matmul(mT(v), v), identity_batch({2}, 6, dt), tol);
    const auto wv = values<double>(w);
    for (size_t i = 0; i + 1 < wv.size(); ++i) {
      if ((i + 1) % 6 != 0) {
        EXPECT_LE(wv[i], wv[i + 1]);
      }
    }
    expect_all_close(la::eigvalsh(a), w, tol);
    // UPLO picks the triangle that is read: garbage in the other one changes nothing.
    expect_all_close(la::eigvalsh(tril(a)), w, tol);
    expect_all_close(la::eigvalsh(triu(a), "U"), w, tol);
  }
  // Exact: [[2, 1], [1, 2]] has eigenvalues 1 and 3.
  expect_close(la::eigvalsh(array({2.0, 1.0, 1.0, 2.0}, {2, 2}, float64)), {1, 3}, 1e-14);
}

TEST(LinalgEigh, HermitianComplex) {
  // [[2, -i], [i, 2]] has eigenvalues 1 and 3.
  const array a =
      array({complex64_t(2, 0), complex64_t(0, -1), complex64_t(0, 1), complex64_t(2, 0)}, {2, 2});
  auto [w, v] = la::eigh(a);
  EXPECT_EQ(w.dtype(), float32);
  expect_close(w, {1, 3}, 1e-6);
  const array av = matmul(a, v);
  const array vw = multiply(v, astype(expand_dims(w, -2), complex64));
  expect_close(real(av), values<double>(real(vw)), 1e-6);
  expect_close(imag(av), values<double>(imag(vw)), 1e-6);
}

TEST(LinalgEig, GeneralMatricesWithComplexEigenvalues) {
  // Rotation by 90 degrees: eigenvalues +-i.
  const array rot = array({0.0f, -1.0f, 1.0f, 0.0f}, {2, 2});
  auto w = values<complex64_t>(la::eigvals(rot));
  ASSERT_EQ(w.size(), 2u);
  std::sort(w.begin(), w.end());  // by real part, then imaginary
  EXPECT_NEAR(w[0].real(), 0.0, 1e-6);
  EXPECT_NEAR(w[0].imag(), -1.0, 1e-6);
  EXPECT_NEAR(w[1].real(), 0.0, 1e-6);
  EXPECT_NEAR(w[1].imag(), 1.0, 1e-6);
  for (Dtype dt : {float32, float64, complex64}) {
    const array a = astype(random_matrix({3, 5, 5}, float32, 12), dt);
    auto [vals, vecs] = la::eig(a);
    EXPECT_EQ(vals.dtype(), complex64);
    const array ac = astype(a, complex64);
    const array lhs = matmul(ac, vecs);
    const array rhs = multiply(vecs, expand_dims(vals, -2));
    expect_close(real(lhs), values<double>(real(rhs)), 2e-5);
    expect_close(imag(lhs), values<double>(imag(rhs)), 2e-5);
  }
}

TEST(LinalgNonFinite, IterativeDecompositionsRejectNanAndInf) {
  const array a = array({1.0f, NAN, 2.0f, 3.0f}, {2, 2});
  const array b = array({1.0f, 0.0f, INFINITY, 3.0f}, {2, 2});
  for (const array& x : {a, b}) {
    EXPECT_THROW(la::svd(x)[1].eval(), std::invalid_argument);
    EXPECT_THROW(la::eigvalsh(x).eval(), std::invalid_argument);
    EXPECT_THROW(la::eigvals(x).eval(), std::invalid_argument);
  }
  // Direct factorizations propagate NaN (as LAPACK and MLX do) without failing.
  const auto inv_nan = values<float>(la::inv(a));
  EXPECT_TRUE(std::isnan(inv_nan[0]) || std::isnan(inv_nan[1]));
}

TEST(LinalgIllConditioned, HilbertSystemsHaveSmallResiduals) {
  // Hilbert matrices: condition numbers ~1e7 (n = 6) to ~1e13 (n = 10) in float64.
  for (int n : {6, 8, 10}) {
    std::vector<double> h(static_cast<size_t>(n) * n);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        h[i * n + j] = 1.0 / (i + j + 1);
      }
    }
    const array a = array(h.begin(), {n, n}, float64);
    const array b = ones({n, 1}, float64);
    const array x = la::solve(a, b);
    // The backward error ||A x - b|| / (||A|| ||x||) stays near machine precision even
    // though x itself is only accurate to cond(A) * eps.
    const double residual = la::norm(subtract(matmul(a, x), b)).item<double>();
    const double scale = la::norm(a).item<double>() * la::norm(x).item<double>();
    EXPECT_LT(residual / scale, 1e-9) << n;
    auto [q, r] = la::qr(a);
    expect_all_close(matmul(q, r), a, 1e-14);
    auto usv = la::svd(a);
    expect_all_close(matmul(multiply(usv[0], expand_dims(usv[1], -2)), usv[2]), a, 1e-14);
    // The smallest singular value is tiny but positive.
    const auto sv = values<double>(usv[1]);
    EXPECT_GT(sv.back(), 0.0);
    EXPECT_LT(sv.back() / sv.front(), 1e-6);
  }
}

// --------------------------------------------------------- solve, det, norm

TEST(LinalgSolve, SolvesVectorsAndMatrices) {
  const array a = add(random_matrix({2, 5, 5}, float64, 13), multiply(array(4.0), eye(5, float64)));
  const array x = random_matrix({2, 5, 3}, float64, 14);
  expect_all_close(la::solve(a, matmul(a, x)), x, 1e-12);
  // A 1-D right-hand side (b with more dimensions is a batch of matrices, as in MLX).
  const array a0 = take(a, 0, 0);
  const array xv = random_matrix({5}, float64, 15);
  expect_all_close(la::solve(a0, matmul(a0, xv)), xv, 1e-12);
  const array lower = tril(a);
  expect_all_close(la::solve_triangular(lower, matmul(lower, x)), x, 1e-12);
  const array upper = triu(a);
  expect_all_close(la::solve_triangular(upper, matmul(upper, x), true), x, 1e-12);
}

TEST(LinalgDet, SmallFormulasAndLuPathAgree) {
  expect_close(la::det(array({1.0, 2.0, 3.0, 4.0}, {2, 2}, float64)), {-2}, 1e-15);
  expect_close(la::det(array({2.0, 0.0, 1.0, 1.0, 3.0, 2.0, 1.0, 1.0, 2.0}, {3, 3}, float64)), {6},
               1e-14);
  // det(a b) = det(a) det(b) on 6x6 (LU path), and det of a permuted identity is -1.
  const array a = random_matrix({6, 6}, float64, 16);
  const array b = random_matrix({6, 6}, float64, 17);
  const double da = la::det(a).item<double>();
  const double db = la::det(b).item<double>();
  EXPECT_NEAR(la::det(matmul(a, b)).item<double>(), da * db, 1e-10 * std::abs(da * db) + 1e-12);
  const array swap = take(eye(5, float64), array({1, 0, 2, 3, 4}), 0);
  EXPECT_DOUBLE_EQ(la::det(swap).item<double>(), -1.0);
  auto [sgn, logabs] = la::slogdet(a);
  EXPECT_NEAR(sgn.item<double>() * std::exp(logabs.item<double>()), da, 1e-12);
  // Singular: sign 0, log|det| = -inf.
  auto [s0, l0] = la::slogdet(zeros({4, 4}));
  EXPECT_EQ(s0.item<float>(), 0.0f);
  EXPECT_EQ(l0.item<float>(), -INFINITY);
  // Integer input promotes to float32.
  EXPECT_EQ(la::det(array({1, 2, 3, 4}, {2, 2})).dtype(), float32);
}

TEST(LinalgNorm, VectorAndMatrixNorms) {
  const array v = array({3.0f, -4.0f, 0.0f});
  expect_close(la::norm(v), {5}, 1e-6);
  expect_close(la::norm(v, 1.0), {7}, 1e-6);
  expect_close(la::norm(v, 0.0), {2}, 0);
  expect_close(la::norm(v, INFINITY), {4}, 0);
  expect_close(la::norm(v, -INFINITY), {0}, 0);
  expect_close(la::norm(v, 3.0), {std::cbrt(27.0 + 64.0)}, 1e-5);
  const array m = array({1.0, -2.0, 3.0, 4.0}, {2, 2}, float64);
  expect_close(la::norm(m, "fro"), {std::sqrt(30.0)}, 1e-14);
  expect_close(la::norm(m, 1.0), {6}, 0);        // max column sum
  expect_close(la::norm(m, -1.0), {4}, 0);       // min column sum
  expect_close(la::norm(m, INFINITY), {7}, 0);   // max row sum
  expect_close(la::norm(m, -INFINITY), {3}, 0);  // min row sum
  const auto sv = values<double>(la::svd(m, false)[0]);
  expect_close(la::norm(m, 2.0), {sv[0]}, 1e-14);
  expect_close(la::norm(m, -2.0), {sv[1]}, 1e-14);
  expect_close(la::norm(m, "nuc"), {sv[0] + sv[1]}, 1e-14);
  // Axes and keepdims.
  const array t = reshape(arange(24.0f), {2, 3, 4});
  EXPECT_EQ(la::norm(t, std::vector<int>{0, 2}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(la::norm(t, 2.0, std::vector<int>{2, 0}).shape(), (Shape{3}));
  EXPECT_EQ(la::norm(t, std::nullopt, true).shape(), (Shape{1, 1, 1}));
  expect_close(la::norm(t, 1.0, std::vector<int>{2, 0}), values<double>(max(sum(abs(t), 2), 0)), 0);
}

TEST(LinalgCross, ThreeAndTwoVectors) {
  expect_values<float>(la::cross(array({1.f, 0.f, 0.f}), array({0.f, 1.f, 0.f})), {3}, float32,
                       {0, 0, 1});
  expect_values<float>(la::cross(array({1.f, 2.f}), array({3.f, 4.f})), {3}, float32, {0, 0, -2});
  expect_values<float>(la::cross(array({1.f, 2.f, 3.f}), array({4.f, 5.f})), {3}, float32,
                       {-15, 12, -3});
  // Along axis 0 with broadcasting.
  const array a = reshape(arange(6.0f), {3, 2});
  const array b = array({0.f, 0.f, 1.f}, {3, 1});
  expect_values<float>(la::cross(a, b, 0), {3, 2}, float32, {2, 3, 0, -1, 0, 0});
}

TEST(LinalgErrors, ArgumentsAreChecked) {
  const array sq = eye(3);
  EXPECT_THROW(la::inv(array({1.f, 2.f})), std::invalid_argument);         // 1-D
  EXPECT_THROW(la::inv(zeros({2, 3})), std::invalid_argument);             // not square
  EXPECT_THROW(la::inv(eye(3, int32)), std::invalid_argument);             // integer
  EXPECT_THROW(la::cholesky(astype(sq, float16)), std::invalid_argument);  // half
  EXPECT_THROW(la::qr(array({1.f})), std::invalid_argument);
  EXPECT_THROW(la::svd(eye(3, int32)), std::invalid_argument);
  EXPECT_THROW(la::eigh(zeros({2, 3})), std::invalid_argument);
  EXPECT_THROW(la::eigh(sq, "X"), std::invalid_argument);
  EXPECT_THROW(la::eig(zeros({2, 3})), std::invalid_argument);
  EXPECT_THROW(la::solve(sq, zeros({4})), std::invalid_argument);
  EXPECT_THROW(la::solve(zeros({2, 3}), zeros({3})), std::invalid_argument);
  EXPECT_THROW(la::solve(eye(3, int32), array({1, 2, 3})), std::invalid_argument);
  EXPECT_THROW(la::det(astype(sq, complex64)), std::invalid_argument);
  EXPECT_THROW(la::norm(zeros({2, 2, 2}), 2.0), std::invalid_argument);  // three axes
  EXPECT_THROW(la::norm(sq, 3.0, std::vector<int>{0, 1}), std::invalid_argument);
  EXPECT_THROW(la::norm(sq, "abc"), std::invalid_argument);
  EXPECT_THROW(la::norm(array({1.f}), "fro"), std::invalid_argument);
  EXPECT_THROW(la::norm(sq, 1.0, std::vector<int>{0, 0}), std::invalid_argument);
  EXPECT_THROW(la::cross(zeros({4}), zeros({3})), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
