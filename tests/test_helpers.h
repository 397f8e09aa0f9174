// Helpers shared by the tests: reading array values, comparing them, fixture paths.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "mlxcpp/mlxcpp.h"

namespace mlxcpp::test {

namespace mx = mlxcpp;

/** Absolute path of a file under tests/fixtures. */
inline std::string fixture(const std::string& relative) {
  return std::string(MLXCPP_FIXTURES_DIR) + "/" + relative;
}

/** The elements of a (evaluated, in row-major order) converted to T. */
template <typename T>
std::vector<T> values(const array& a_in) {
  array a = mx::contiguous(a_in);
  a.eval();
  std::vector<T> out(a.size());
  auto copy = [&](auto* p) {
    for (size_t i = 0; i < a.size(); ++i) {
      out[i] = value_cast<T>(p[i]);
    }
  };
  switch (a.dtype()) {
    case Dtype::Val::bool_:
      copy(a.data<bool>());
      break;
    case Dtype::Val::uint8:
      copy(a.data<uint8_t>());
      break;
    case Dtype::Val::uint16:
      copy(a.data<uint16_t>());
      break;
    case Dtype::Val::uint32:
      copy(a.data<uint32_t>());
      break;
    case Dtype::Val::uint64:
      copy(a.data<uint64_t>());
      break;
    case Dtype::Val::int8:
      copy(a.data<int8_t>());
      break;
    case Dtype::Val::int16:
      copy(a.data<int16_t>());
      break;
    case Dtype::Val::int32:
      copy(a.data<int32_t>());
      break;
    case Dtype::Val::int64:
      copy(a.data<int64_t>());
      break;
    case Dtype::Val::float16:
      copy(a.data<float16_t>());
      break;
    case Dtype::Val::float32:
      copy(a.data<float>());
      break;
    case Dtype::Val::float64:
      copy(a.data<double>());
      break;
    case Dtype::Val::bfloat16:
      copy(a.data<bfloat16_t>());
      break;
    case Dtype::Val::complex64:
      copy(a.data<complex64_t>());
      break;
  }
  return out;
}

/** Expect a to have the given shape, dtype and exact values. */
template <typename T>
void expect_values(const array& a, const Shape& shape, Dtype dtype,
                   const std::vector<T>& expected) {
  ASSERT_EQ(a.shape(), shape);
  ASSERT_EQ(a.dtype(), dtype) << "got " << dtype_name(a.dtype());
  auto got = values<T>(a);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(expected[i])) {
        EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
        continue;
      }
    }
    EXPECT_EQ(got[i], expected[i]) << "at flat index " << i;
  }
}

/** Expect |a - expected| <= atol + rtol * |expected| everywhere (NaN matches NaN). */
inline void expect_close(const array& a, const std::vector<double>& expected, double atol,
                         double rtol = 0.0) {
  auto got = values<double>(a);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": expected NaN, got " << got[i];
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(got[i], expected[i]) << "at " << i;
    } else {
      EXPECT_NEAR(got[i], expected[i], atol + rtol * std::fabs(expected[i])) << "at " << i;
    }
  }
}

/** Deterministic pseudo-random doubles in [lo, hi). */
inline std::vector<double> random_values(size_t n, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) {
    x = dist(gen);
  }
  return v;
}

/** An array of the given shape and dtype holding the values (converted). */
inline array make_array(const std::vector<double>& v, const Shape& shape, Dtype dtype) {
  return mx::astype(array(v.begin(), shape, float64), dtype);
}

/** Row-major strides of a shape (in elements). */
inline std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> st(shape.size());
  int64_t s = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/** Multi-index of flat index i in a row-major shape. */
inline std::vector<int> unravel(int64_t i, const Shape& shape) {
  std::vector<int> idx(shape.size());
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = static_cast<int>(i % shape[d]);
    i /= shape[d];
  }
  return idx;
}

/** Runs f and expects std::invalid_argument whose message contains `fragment`, so that a
 *  check proves its own rule fired. */
template <typename F>
void expect_invalid(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected std::invalid_argument saying \"" << fragment << "\"";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

/** The dtypes MLX has, in Dtype::Val order. */
inline std::vector<Dtype> all_dtypes() {
  return {bool_, uint8, uint16,  uint32,  uint64,  int8,     int16,
          int32, int64, float16, float32, float64, bfloat16, complex64};
}

}  // namespace mlxcpp::test
