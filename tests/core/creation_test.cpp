// Creation ops: arange, linspace, full, zeros, ones, eye, tri, meshgrid, astype, copy.
#include <cmath>
#include <limits>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

TEST(Creation, ArangeOverloads) {
  expect_values<int>(arange(5), {5}, int32, {0, 1, 2, 3, 4});
  expect_values<int>(arange(2, 5), {3}, int32, {2, 3, 4});
  expect_values<int>(arange(10, 0, -3), {4}, int32, {10, 7, 4, 1});
  expect_values<float>(arange(0.0, 1.0, 0.25), {4}, float32, {0, 0.25, 0.5, 0.75});
  expect_values<float>(arange(3.0), {3}, float32, {0, 1, 2});
  expect_values<float>(arange(1.0, 3.0), {2}, float32, {1, 2});
  expect_values<int64_t>(arange(2.0, 8.0, 2.0, int64), {3}, int64, {2, 4, 6});
  expect_values<double>(arange(4.0, float64), {4}, float64, {0, 1, 2, 3});
  expect_values<float>(arange(0.0, 3.0, float16), {3}, float16, {0, 1, 2});
  // Empty ranges.
  EXPECT_EQ(arange(5, 2).size(), 0u);
  EXPECT_EQ(arange(0.0, 1.0, -1.0).size(), 0u);
  // An infinite step gives just the start.
  expect_values<float>(arange(1.0, 5.0, INFINITY), {1}, float32, {1});
}

TEST(Creation, ArangeAccumulatesInTheOutputTypeAsMlx) {
  // MLX adds the step repeatedly in the output type.
  auto a = arange(0.0, 1.0, 0.1);
  auto v = values<float>(a);
  ASSERT_EQ(v.size(), 10u);
  float expect = 0.0f;
  const float step = static_cast<float>(0.1);
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(v[i], expect);
    expect += step;
  }
}

TEST(Creation, ArangeExtremeArgumentsStayDefined) {
  EXPECT_EQ(arange(0.0, -1e10, 1.0).size(), 0u);
  const int64_t start = -9000000000000000000;
  expect_values<int64_t>(arange(-9e18, 1e19, 1e19, int64), {2}, int64,
                         {start, 1000000000000000000});
}

TEST(Creation, ArangeRejectsBadArguments) {
  EXPECT_THROW(arange(0.0, 1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(arange(0.0, NAN, 1.0), std::invalid_argument);
  EXPECT_THROW(arange(0.0, INFINITY, 1.0), std::invalid_argument);
  EXPECT_THROW(arange(0.0, 3.0, 1.0, bool_), std::invalid_argument);
  EXPECT_THROW(arange(0.0, 1e12, 1.0), std::invalid_argument);
}

TEST(Creation, Linspace) {
  expect_values<float>(linspace(0.0, 1.0, 5), {5}, float32, {0, 0.25, 0.5, 0.75, 1});
  expect_values<float>(linspace(0.0, 1.0, 4, false), {4}, float32, {0, 0.25, 0.5, 0.75});
  expect_values<float>(linspace(3.0, 4.0, 1), {1}, float32, {3});
  EXPECT_EQ(linspace(0.0, 1.0, 0).size(), 0u);
  expect_values<int>(linspace(0.0, 10.0, 3, int32), {3}, int32, {0, 5, 10});
  EXPECT_EQ(linspace(0.0, 1.0).size(), 50u);
  EXPECT_THROW(linspace(0.0, 1.0, -1), std::invalid_argument);
}

TEST(Creation, FullZerosOnes) {
  expect_values<int>(full({2, 2}, 7), {2, 2}, int32, {7, 7, 7, 7});
  expect_values<float>(full({3}, 1.5f, float16), {3}, float16, {1.5f, 1.5f, 1.5f});
  expect_values<float>(full({2, 3}, array({1.0f, 2.0f, 3.0f})), {2, 3}, float32,
                       {1, 2, 3, 1, 2, 3});
  expect_values<double>(zeros({2}, float64), {2}, float64, {0, 0});
  expect_values<bool>(ones({2}, bool_), {2}, bool_, {true, true});
  EXPECT_EQ(zeros({}).ndim(), 0u);
  EXPECT_EQ(zeros({0, 3}).size(), 0u);
  auto a = reshape(arange(6), {2, 3});
  expect_values<int>(zeros_like(a), {2, 3}, int32, {0, 0, 0, 0, 0, 0});
  expect_values<float>(ones_like(a, float32), {2, 3}, float32, {1, 1, 1, 1, 1, 1});
  expect_values<int>(full_like(a, 9), {2, 3}, int32, {9, 9, 9, 9, 9, 9});
  expect_values<int>(full_like(a, 2.7f, int32), {2, 3}, int32, {2, 2, 2, 2, 2, 2});
  EXPECT_THROW(full({-1}, 1), std::invalid_argument);
  EXPECT_THROW(full({2, 2}, array({1, 2, 3})), std::invalid_argument);
  // Every dtype.
  for (auto t : all_dtypes()) {
    auto x = full({3}, array(1), t);
    EXPECT_EQ(x.dtype(), t);
    EXPECT_EQ(values<double>(x)[2], 1.0) << dtype_name(t);
  }
  // Large enough to fill in parallel.
  auto big = full({1 << 20}, int64_t(5));
  EXPECT_EQ(sum(big).item<int64_t>(), int64_t(5) << 20);
}

TEST(Creation, EyeIdentityTri) {
  expect_values<float>(eye(3), {3, 3}, float32, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  expect_values<int>(eye(2, 3, 1, int32), {2, 3}, int32, {0, 1, 0, 0, 0, 1});
  expect_values<int>(eye(3, 2, -1, int32), {3, 2}, int32, {0, 0, 1, 0, 0, 1});
  expect_values<int>(eye(2, 2, 5, int32), {2, 2}, int32, {0, 0, 0, 0});
  expect_values<float>(identity(2), {2, 2}, float32, {1, 0, 0, 1});
  expect_values<int>(tri(3, 3, 0, int32), {3, 3}, int32, {1, 0, 0, 1, 1, 0, 1, 1, 1});
  expect_values<int>(tri(2, 3, 1, int32), {2, 3}, int32, {1, 1, 0, 1, 1, 1});
  auto m = reshape(arange(1, 10), {3, 3});
  expect_values<int>(tril(m), {3, 3}, int32, {1, 0, 0, 4, 5, 0, 7, 8, 9});
  expect_values<int>(triu(m, 1), {3, 3}, int32, {0, 2, 3, 0, 0, 6, 0, 0, 0});
  expect_values<int>(tril(m, -1), {3, 3}, int32, {0, 0, 0, 4, 0, 0, 7, 8, 0});
  EXPECT_THROW(eye(-1), std::invalid_argument);
  EXPECT_THROW(tril(arange(3)), std::invalid_argument);
  EXPECT_THROW(triu(array(1)), std::invalid_argument);
}

TEST(Creation, Meshgrid) {
  auto x = array({1, 2, 3});
  auto y = array({4, 5});
  auto xy = meshgrid({x, y});
  expect_values<int>(xy[0], {2, 3}, int32, {1, 2, 3, 1, 2, 3});
  expect_values<int>(xy[1], {2, 3}, int32, {4, 4, 4, 5, 5, 5});
  auto ij = meshgrid({x, y}, false, "ij");
  expect_values<int>(ij[0], {3, 2}, int32, {1, 1, 2, 2, 3, 3});
  expect_values<int>(ij[1], {3, 2}, int32, {4, 5, 4, 5, 4, 5});
  auto sparse = meshgrid({x, y}, true);
  EXPECT_EQ(sparse[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(sparse[1].shape(), (Shape{2, 1}));
  EXPECT_THROW(meshgrid({x, y}, false, "yx"), std::invalid_argument);
}

TEST(Creation, AstypeBetweenEveryPairOfTypes) {
  // Small integers are exact in every dtype.
  auto src = array({0, 1, 2, 3, 100}, int32);
  for (auto from : all_dtypes()) {
    for (auto to : all_dtypes()) {
      auto x = astype(astype(src, from), to);
      EXPECT_EQ(x.dtype(), to);
      auto v = values<double>(x);
      const bool bool_involved = from == bool_ || to == bool_;
      for (size_t i = 0; i < v.size(); ++i) {
        const double expect =
            bool_involved ? (i > 0 ? 1.0 : 0.0) : static_cast<double>(i < 4 ? i : 100);
        EXPECT_EQ(v[i], expect) << dtype_name(from) << " -> " << dtype_name(to) << " at " << i;
      }
    }
  }
}

TEST(Creation, AstypeConversionSemantics) {
  // Float to int truncates toward zero; NaN gives 0 and out-of-range values
  // saturate (C++ and MLX leave these undefined).
  auto f = array({1.9f, -1.9f, NAN, 1e20f, -1e20f, 300.0f, -5.0f});
  expect_values<int>(astype(f, int32), {7}, int32,
                     {1, -1, 0, 2147483647, -2147483647 - 1, 300, -5});
  expect_values<int>(astype(f, uint8), {7}, uint8, {1, 0, 0, 255, 0, 255, 0});
  // float64 past float32's range rounds as IEEE does: to FLT_MAX up to FLT_MAX + 2^103,
  // inf from there (C++ leaves it undefined; found by the safetensors fuzzer).
  const double fmax = std::numeric_limits<float>::max();
  const float inf = std::numeric_limits<float>::infinity();
  auto d = make_array(std::vector<double>{1e300, -1e300, fmax + 0x1p102, fmax + 0x1p103,
                                          -(fmax + 0x1p102), 1.5, NAN},
                      {7}, float64);
  auto df = astype(d, float32);
  df.eval();
  EXPECT_EQ(df.dtype(), float32);
  const float* gp = df.template data<float>();
  const std::vector<float> got(gp, gp + 7);
  EXPECT_EQ(got[0], inf);
  EXPECT_EQ(got[1], -inf);
  EXPECT_EQ(got[2], float(fmax));
  EXPECT_EQ(got[3], inf);
  EXPECT_EQ(got[4], -float(fmax));
  EXPECT_EQ(got[5], 1.5f);
  EXPECT_TRUE(std::isnan(got[6]));
  // Complex to real keeps the real part.
  expect_values<float>(astype(array(std::complex<float>(2.5f, -1.0f)), float32), {}, float32,
                       {2.5f});
  // Anything to bool is "not zero".
  expect_values<bool>(astype(array({0.0f, -0.0f, 0.5f, NAN}), bool_), {4}, bool_,
                      {false, false, true, true});
  // Same dtype returns the array itself.
  auto a = arange(3);
  EXPECT_EQ(astype(a, int32).id(), a.id());
}

TEST(Creation, AstypeOfStridedInputs) {
  auto a = transpose(reshape(arange(6), {2, 3}));
  expect_values<float>(astype(a, float32), {3, 2}, float32, {0, 3, 1, 4, 2, 5});
  auto b = broadcast_to(array({1, 2}), {3, 2});
  expect_values<double>(astype(b, float64), {3, 2}, float64, {1, 2, 1, 2, 1, 2});
  auto c = slice(arange(10), {1}, {9}, {3});
  expect_values<int64_t>(astype(c, int64), {3}, int64, {1, 4, 7});
}

TEST(Creation, CopyIsIndependent) {
  auto a = reshape(arange(6), {2, 3});
  auto b = copy(transpose(a));
  b.eval();
  EXPECT_TRUE(b.flags().row_contiguous);
  expect_values<int>(b, {3, 2}, int32, {0, 3, 1, 4, 2, 5});
}

}  // namespace
}  // namespace mlxcpp::test
