// Unary ops against a double-precision reference, over dtypes and layouts.
#include <functional>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

struct UnaryCase {
  const char* name;
  std::function<array(const array&)> op;
  std::function<double(double)> ref;
  double lo, hi;  // input range
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"abs", [](const array& x) { return abs(x); }, [](double v) { return std::fabs(v); }, -5, 5},
      {"negative", [](const array& x) { return negative(x); }, [](double v) { return -v; }, -5, 5},
      {"sign", [](const array& x) { return sign(x); },
       [](double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }, -5, 5},
      {"floor", [](const array& x) { return floor(x); }, [](double v) { return std::floor(v); }, -5,
       5},
      {"ceil", [](const array& x) { return ceil(x); }, [](double v) { return std::ceil(v); }, -5,
       5},
      {"trunc", [](const array& x) { return trunc(x); }, [](double v) { return std::trunc(v); }, -5,
       5},
      {"round", [](const array& x) { return round(x); }, [](double v) { return std::nearbyint(v); },
       -5, 5},
      {"sqrt", [](const array& x) { return sqrt(x); }, [](double v) { return std::sqrt(v); }, 0,
       100},
      {"rsqrt", [](const array& x) { return rsqrt(x); }, [](double v) { return 1 / std::sqrt(v); },
       0.01, 100},
      {"square", [](const array& x) { return square(x); }, [](double v) { return v * v; }, -10, 10},
      {"reciprocal", [](const array& x) { return reciprocal(x); }, [](double v) { return 1 / v; },
       0.1, 10},
      {"exp", [](const array& x) { return exp(x); }, [](double v) { return std::exp(v); }, -80, 80},
      {"expm1", [](const array& x) { return expm1(x); }, [](double v) { return std::expm1(v); }, -3,
       3},
      {"log", [](const array& x) { return log(x); }, [](double v) { return std::log(v); }, 1e-3,
       1e3},
      {"log1p", [](const array& x) { return log1p(x); }, [](double v) { return std::log1p(v); },
       -0.9, 10},
      {"log2", [](const array& x) { return log2(x); }, [](double v) { return std::log2(v); }, 1e-3,
       1e3},
      {"log10", [](const array& x) { return log10(x); }, [](double v) { return std::log10(v); },
       1e-3, 1e3},
      {"sin", [](const array& x) { return sin(x); }, [](double v) { return std::sin(v); }, -10, 10},
      {"cos", [](const array& x) { return cos(x); }, [](double v) { return std::cos(v); }, -10, 10},
      {"tan", [](const array& x) { return tan(x); }, [](double v) { return std::tan(v); }, -1.4,
       1.4},
      {"arcsin", [](const array& x) { return arcsin(x); }, [](double v) { return std::asin(v); },
       -1, 1},
      {"arccos", [](const array& x) { return arccos(x); }, [](double v) { return std::acos(v); },
       -1, 1},
      {"arctan", [](const array& x) { return arctan(x); }, [](double v) { return std::atan(v); },
       -10, 10},
      {"sinh", [](const array& x) { return sinh(x); }, [](double v) { return std::sinh(v); }, -5,
       5},
      {"cosh", [](const array& x) { return cosh(x); }, [](double v) { return std::cosh(v); }, -5,
       5},
      {"tanh", [](const array& x) { return tanh(x); }, [](double v) { return std::tanh(v); }, -5,
       5},
      {"arcsinh", [](const array& x) { return arcsinh(x); }, [](double v) { return std::asinh(v); },
       -10, 10},
      {"arccosh", [](const array& x) { return arccosh(x); }, [](double v) { return std::acosh(v); },
       1, 10},
      {"arctanh", [](const array& x) { return arctanh(x); }, [](double v) { return std::atanh(v); },
       -0.99, 0.99},
      {"erf", [](const array& x) { return erf(x); }, [](double v) { return std::erf(v); }, -3, 3},
      {"sigmoid", [](const array& x) { return sigmoid(x); },
       [](double v) { return 1 / (1 + std::exp(-v)); }, -20, 20},
      {"degrees", [](const array& x) { return degrees(x); },
       [](double v) { return v * 180 / M_PI; }, -4, 4},
      {"radians", [](const array& x) { return radians(x); },
       [](double v) { return v * M_PI / 180; }, -360, 360},
  };
}

// Relative tolerance per dtype: a few ulp of the result.
double tolerance(Dtype t) {
  if (t == float64) {
    return 1e-13;
  }
  if (t == float32) {
    return 4e-7;
  }
  if (t == float16) {
    return 2e-3;
  }
  return 1.6e-2;  // bfloat16
}

TEST(Unary, MatchesDoubleReferenceInEveryFloatType) {
  for (const auto& c : unary_cases()) {
    for (Dtype t : {float32, float64, float16, bfloat16}) {
      // Inputs rounded to t first, so the reference sees exactly what the op sees.
      auto x = make_array(random_values(1000, c.lo, c.hi, 42), {10, 100}, t);
      auto xs = values<double>(x);
      auto y = c.op(x);
      EXPECT_EQ(y.dtype(), t) << c.name;
      auto got = values<double>(y);
      for (size_t i = 0; i < got.size(); ++i) {
        double ref = c.ref(xs[i]);
        if (std::fabs(ref) > finfo(t).max * (1 + tolerance(t))) {
          ref = std::copysign(INFINITY, ref);  // overflows the dtype
        }
        const double tol = tolerance(t) * std::max(1.0, std::fabs(ref));
        if (std::isinf(ref)) {
          ASSERT_EQ(got[i], ref) << c.name << " " << dtype_name(t) << " x=" << xs[i];
          continue;
        }
        ASSERT_NEAR(got[i], ref, tol) << c.name << " " << dtype_name(t) << " x=" << xs[i];
      }
    }
  }
}

TEST(Unary, ErfInvInvertsErf) {
  auto p = make_array(random_values(2000, -0.999, 0.999, 3), {2000}, float64);
  auto x = erfinv(p);
  auto back = values<double>(erf(x));
  auto pv = values<double>(p);
  for (size_t i = 0; i < pv.size(); ++i) {
    ASSERT_NEAR(back[i], pv[i], 1e-14) << pv[i];
  }
  auto pf = astype(p, float32);
  auto xf = values<double>(erfinv(pf));
  auto xd = values<double>(erfinv(astype(pf, float64)));
  for (size_t i = 0; i < xf.size(); ++i) {
    ASSERT_NEAR(xf[i], xd[i], 3e-6 * std::max(1.0, std::fabs(xd[i])));
  }
  expect_values<float>(erfinv(array({1.0f, -1.0f, 1.5f, 0.0f})), {4}, float32,
                       {INFINITY, -INFINITY, NAN, 0.0f});
}

TEST(Unary, IntegerInputsPromoteToFloat32) {
  auto x = array({1, 4, 9});
  expect_values<float>(sqrt(x), {3}, float32, {1, 2, 3});
  EXPECT_EQ(exp(array({1}, int64)).dtype(), float32);
  EXPECT_EQ(sin(array({true})).dtype(), float32);
  // ... while abs, negative, sign, square, floor keep integer types.
  expect_values<int>(abs(array({-3, 4})), {2}, int32, {3, 4});
  expect_values<int>(square(array({-3, 4}, int8)), {2}, int8, {9, 16});
  expect_values<int>(sign(array({-3, 0, 4}, int64)), {3}, int64, {-1, 0, 1});
  expect_values<int>(sign(array({0, 7}, uint16)), {2}, uint16, {0, 1});
  expect_values<int>(floor(array({-3, 4})), {2}, int32, {-3, 4});
}

TEST(Unary, SpecialValues) {
  auto x = array({0.0f, -0.0f, INFINITY, -INFINITY, NAN});
  expect_values<float>(exp(x), {5}, float32, {1, 1, INFINITY, 0, NAN});
  expect_values<float>(abs(x), {5}, float32, {0, 0, INFINITY, INFINITY, NAN});
  expect_values<float>(sign(x), {5}, float32, {0, 0, 1, -1, 0});  // MLX: sign(NaN) = 0
  expect_values<float>(sigmoid(x), {5}, float32, {0.5f, 0.5f, 1, 0, NAN});
  expect_values<float>(log(array({0.0f, -1.0f})), {2}, float32, {-INFINITY, NAN});
  expect_values<float>(round(array({0.5f, 1.5f, 2.5f, -0.5f})), {4}, float32, {0, 2, 2, 0});
  // exp near the float range limits.
  auto e = values<double>(exp(array({88.7f, -87.0f, -100.0f, 89.0f})));
  const double big = std::exp(double(88.7f));
  EXPECT_NEAR(e[0], big, big * 2e-7);
  EXPECT_NEAR(e[1], std::exp(-87.0), std::exp(-87.0) * 1e-6);
  EXPECT_NEAR(e[2], std::exp(-100.0), 1e-44);  // subnormal result
  EXPECT_EQ(e[3], INFINITY);
}

TEST(Unary, RoundWithDecimals) {
  expect_close(round(array({1.234f, -5.678f, 2.5f}), 2), {1.23, -5.68, 2.5}, 1e-6);
  expect_values<float>(round(array({15.0f, 25.0f}), -1), {2}, float32, {20, 20});
  expect_values<int>(round(array({15, 25, 26}), -1), {3}, int32, {20, 20, 30});
}

TEST(Unary, LogicalAndBitwise) {
  expect_values<bool>(logical_not(array({0, 3})), {2}, bool_, {true, false});
  expect_values<int>(bitwise_invert(array({0, 5}, uint8)), {2}, uint8, {255, 250});
  expect_values<int>(~array({0, -1}), {2}, int32, {-1, 0});
  expect_values<bool>(bitwise_invert(array({true, false})), {2}, bool_, {false, true});
  EXPECT_THROW(bitwise_invert(array(1.0f)), std::invalid_argument);
  EXPECT_THROW(negative(array(true)), std::invalid_argument);
}

TEST(Unary, IntegerEdgeCasesWrapInsteadOfOverflowing) {
  const int32_t min = std::numeric_limits<int32_t>::min();
  expect_values<int>(negative(array({min})), {1}, int32, {min});
  expect_values<int>(abs(array({min})), {1}, int32, {min});
  expect_values<int>(negative(array({1}, uint8)), {1}, uint8, {255});
}

TEST(Unary, ClassificationOps) {
  auto x = array({1.0f, INFINITY, -INFINITY, NAN});
  expect_values<bool>(isnan(x), {4}, bool_, {false, false, false, true});
  expect_values<bool>(isinf(x), {4}, bool_, {false, true, true, false});
  expect_values<bool>(isfinite(x), {4}, bool_, {true, false, false, false});
  expect_values<bool>(isposinf(x), {4}, bool_, {false, true, false, false});
  expect_values<bool>(isneginf(x), {4}, bool_, {false, false, true, false});
  expect_values<bool>(isnan(array({1, 2})), {2}, bool_, {false, false});
  expect_values<bool>(isfinite(array({1, 2})), {2}, bool_, {true, true});
  auto c = array({complex64_t(1, INFINITY), complex64_t(NAN, 0), complex64_t(1, 1)});
  expect_values<bool>(isinf(c), {3}, bool_, {true, false, false});
  expect_values<bool>(isnan(c), {3}, bool_, {false, true, false});
}

TEST(Unary, NanToNum) {
  auto x = array({1.0f, NAN, INFINITY, -INFINITY});
  const float big = std::numeric_limits<float>::max();
  expect_values<float>(nan_to_num(x), {4}, float32, {1, 0, big, -big});
  expect_values<float>(nan_to_num(x, 5.0f, 10.0f, -10.0f), {4}, float32, {1, 5, 10, -10});
  expect_values<float>(nan_to_num(astype(x, float16)), {4}, float16, {1, 0, 65504, -65504});
  expect_values<int>(nan_to_num(array({1, 2})), {2}, int32, {1, 2});
}

TEST(Unary, ComplexParts) {
  auto c = array({complex64_t(1, 2), complex64_t(-3, 4)});
  expect_values<float>(real(c), {2}, float32, {1, -3});
  expect_values<float>(imag(c), {2}, float32, {2, 4});
  expect_values<float>(abs(c), {2}, float32, {std::sqrt(5.0f), 5});
  auto cj = values<complex64_t>(conjugate(c));
  EXPECT_EQ(cj[0], complex64_t(1, -2));
  EXPECT_EQ(cj[1], complex64_t(-3, -4));
  expect_values<float>(real(array({1.5f})), {1}, float32, {1.5f});
  expect_values<float>(imag(array({1.5f})), {1}, float32, {0});
  auto e = values<complex64_t>(exp(array({complex64_t(0, M_PI)})));
  EXPECT_NEAR(e[0].real(), -1.0, 1e-6);
  EXPECT_NEAR(e[0].imag(), 0.0, 1e-6);
  EXPECT_THROW(floor(c), std::invalid_argument);
  EXPECT_THROW(erf(c), std::invalid_argument);
  EXPECT_THROW(sigmoid(c), std::invalid_argument);
}

TEST(Unary, StridedSlicedAndBroadcastInputs) {
  auto base = reshape(astype(arange(24), float32), {4, 6});
  auto t = transpose(base);  // non-contiguous
  auto got = values<float>(square(t));
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(got[i * 4 + j], float((j * 6 + i) * (j * 6 + i)));
    }
  }
  auto s = slice(base, {1, 1}, {4, 6}, {2, 2});  // rows 1,3; cols 1,3,5
  expect_values<float>(negative(s), {2, 3}, float32, {-7, -9, -11, -19, -21, -23});
  auto b = broadcast_to(array({1.0f, 4.0f}), {3, 2});
  expect_values<float>(sqrt(b), {3, 2}, float32, {1, 2, 1, 2, 1, 2});
  auto r = slice(arange(10), {9}, {-11}, {-3});  // 9, 6, 3, 0
  expect_values<int>(abs(negative(r)), {4}, int32, {9, 6, 3, 0});
}

TEST(Unary, EmptyAndScalar) {
  EXPECT_EQ(exp(zeros({0, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(values<float>(exp(zeros({0}))).size(), 0u);
  expect_values<float>(exp(array(0.0f)), {}, float32, {1});
}

TEST(Unary, LargeArraysUseThreadsAndStayCorrect) {
  const int n = 1 << 21;
  auto x = astype(arange(n), float32);
  auto y = values<float>(sqrt(x));
  for (int i = 0; i < n; i += 9973) {
    ASSERT_EQ(y[i], std::sqrt(float(i)));
  }
  auto z = values<float>(exp(negative(x / float(n))));
  for (int i = 0; i < n; i += 9973) {
    ASSERT_NEAR(z[i], std::exp(-double(i) / n), 2e-7);
  }
}

}  // namespace
}  // namespace mlxcpp::test
