// hadamard_transform: the matrix it applies is checked to be a Hadamard matrix with
// the Kronecker structure H_m (x) Sylvester(2^k) and Sloane's first rows; transforms
// of random data against a float64 matrix product; dtypes, layouts and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

// Sylvester's Hadamard matrix of order n (a power of two): H[i][j] = (-1)^popcount(i & j).
std::vector<double> sylvester(int n) {
  std::vector<double> h(static_cast<size_t>(n) * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      h[i * n + j] = __builtin_popcount(i & j) % 2 ? -1.0 : 1.0;
    }
  }
  return h;
}

// The matrix H_n the transform applies (unscaled): transforming the rows of the identity
// gives H_n^T.
std::vector<double> transform_matrix(int n) {
  return values<double>(transpose(hadamard_transform(eye(n, float64), 1.0f)));
}

TEST(Hadamard, PowerOfTwoIsSylvester) {
  for (int n : {2, 4, 8, 64, 256}) {
    EXPECT_EQ(transform_matrix(n), sylvester(n)) << n;
  }
}

TEST(Hadamard, SmallOrdersAreSloanesMatricesInKroneckerProducts) {
  // The first rows of Sloane's H_12, H_20 and H_28 (neilsloane.com/hadamard), which MLX uses.
  const std::vector<std::pair<int, std::string>> first_rows{
      {12, "+-++++++++++"}, {20, "+----+----++--++-++-"}, {28, "+------++----++-+--+-+--++--"}};
  for (const auto& [m, row] : first_rows) {
    const auto hm = transform_matrix(m);
    for (int j = 0; j < m; ++j) {
      EXPECT_EQ(hm[j], row[j] == '+' ? 1.0 : -1.0) << m << " at " << j;
    }
    // H H^T = m I: a Hadamard matrix.
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < m; ++j) {
        double dot = 0;
        for (int k = 0; k < m; ++k) {
          dot += hm[i * m + k] * hm[j * m + k];
        }
        ASSERT_EQ(dot, i == j ? m : 0) << m;
      }
    }
    for (int p : {2, 8}) {
      const int n = m * p;
      const auto h = transform_matrix(n);
      const auto s = sylvester(p);
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
          const double kron = hm[(i / p) * m + j / p] * s[(i % p) * p + j % p];
          ASSERT_EQ(h[i * n + j], kron) << n << " at " << i << ", " << j;
        }
      }
    }
  }
}

TEST(Hadamard, RandomDataMatchesMatrixProduct) {
  for (int n : {16, 12, 40, 28 * 4, 20 * 32}) {
    const auto h = transform_matrix(n);
    const auto xv = random_values(3 * static_cast<size_t>(n), -1, 1, static_cast<uint32_t>(n));
    const array x = array(xv.begin(), {3, n}, float64);
    for (Dtype dt : {float32, float64, float16, bfloat16}) {
      const array y = hadamard_transform(astype(x, dt));
      ASSERT_EQ(y.dtype(), dt);
      const auto xd = values<double>(astype(x, dt));
      std::vector<double> expected(3 * static_cast<size_t>(n));
      for (int r = 0; r < 3; ++r) {
        for (int i = 0; i < n; ++i) {
          double acc = 0;
          for (int j = 0; j < n; ++j) {
            acc += h[i * n + j] * xd[r * n + j];
          }
          expected[r * n + i] = acc / std::sqrt(static_cast<double>(n));
        }
      }
      const double tol = dt == float64 ? 1e-12 : dt == float32 ? 1e-5 : dt == float16 ? 2e-2 : 8e-2;
      expect_close(y, expected, tol);
    }
  }
}

TEST(Hadamard, ScaleLayoutsAndIntegerInput) {
  // Scale 1 on [1, 1] gives [2, 0]; an explicit scale multiplies.
  expect_values<float>(hadamard_transform(array({1.0f, 1.0f}), 1.0f), {2}, float32, {2, 0});
  expect_values<float>(hadamard_transform(array({1.0f, 1.0f}), 0.5f), {2}, float32, {1, 0});
  // Integer input becomes float32; the default scale is orthonormal.
  const array yi = hadamard_transform(array({3, 1}));
  EXPECT_EQ(yi.dtype(), float32);
  expect_close(yi, {4 / std::sqrt(2.0), 2 / std::sqrt(2.0)}, 1e-6);
  // A transposed (non-contiguous) input transforms its logical rows.
  const array x = reshape(arange(32.0f), {4, 8});
  expect_close(hadamard_transform(transpose(x)),
               values<double>(hadamard_transform(contiguous(transpose(x)))), 0.0);
  // Size-1 last axis: only the scale.
  expect_values<float>(hadamard_transform(array({2.0f}), 3.0f), {1}, float32, {6});
  expect_values<float>(hadamard_transform(array(5.0f)), {}, float32, {5});
}

TEST(Hadamard, UnsupportedSizesAndEmptyArraysAreRejected) {
  for (int n : {3, 36, 24 * 3, 44, 7}) {
    EXPECT_THROW(hadamard_transform(zeros({2, n})), std::invalid_argument) << n;
  }
  EXPECT_THROW(hadamard_transform(zeros({0, 4})), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
