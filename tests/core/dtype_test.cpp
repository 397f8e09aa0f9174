// dtypes: MLX's promotion table, categories, limits, half conversions.
#include <nlohmann/json.hpp>

#include <bit>
#include <cstring>
#include <fstream>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

Dtype dtype_from_name(const std::string& name) {
  for (auto d : all_dtypes()) {
    if (dtype_name(d) == name) {
      return d;
    }
  }
  throw std::runtime_error("unknown dtype " + name);
}

nlohmann::json promotion_fixture() {
  std::ifstream in(fixture("core/ops/type_promotion.json"));
  return nlohmann::json::parse(in);
}

TEST(Dtype, PromotionMatchesMlxForEveryPair) {
  auto table = promotion_fixture()["binary"]["add"];
  int checked = 0;
  for (auto& [key, value] : table.items()) {
    const auto comma = key.find(',');
    const Dtype a = dtype_from_name(key.substr(0, comma));
    const Dtype b = dtype_from_name(key.substr(comma + 1));
    const Dtype expected = dtype_from_name(value.get<std::string>());
    EXPECT_EQ(promote_types(a, b), expected) << key;
    // The op agrees with the table.
    EXPECT_EQ(add(zeros({1}, a), zeros({1}, b)).dtype(), expected) << key;
    ++checked;
  }
  EXPECT_EQ(checked, 14 * 14);
}

TEST(Dtype, DivideFloorDividePowerResultTypesMatchMlx) {
  auto table = promotion_fixture()["with_python_scalar_and_unary"];
  for (auto& [name, entry] : table.items()) {
    const Dtype t = dtype_from_name(name);
    const array x = ones({2}, t);
    EXPECT_EQ(dtype_name(divide(x, x).dtype()), entry["divide_same"].get<std::string>()) << name;
    EXPECT_EQ(dtype_name(power(x, x).dtype()), entry["power_same"].get<std::string>()) << name;
    const std::string fd = entry["floor_divide_same"];
    if (fd.rfind("error", 0) == 0) {
      EXPECT_THROW(floor_divide(x, x), std::invalid_argument) << name;
    } else {
      EXPECT_EQ(dtype_name(floor_divide(x, x).dtype()), fd) << name;
    }
  }
}

TEST(Dtype, LiteralAndReductionTypesMatchMlx) {
  auto t = promotion_fixture()["literals_and_reductions"];
  EXPECT_EQ(dtype_name(arange(0.0, 1.0, 0.5).dtype()), t["arange(0.0, 1.0, 0.5)"]);
  EXPECT_EQ(dtype_name(arange(5).dtype()), t["arange(5)"]);
  EXPECT_EQ(dtype_name(array(1).dtype()), t["array(1)"]);
  EXPECT_EQ(dtype_name(array(std::complex<float>(1, 2)).dtype()), t["array(1+2j)"]);
  EXPECT_EQ(dtype_name(array(1.0).dtype()), t["array(1.0)"]);
  EXPECT_EQ(dtype_name(array(int64_t(1) << 40).dtype()), t["array(2**40)"]);
  EXPECT_EQ(dtype_name(array(true).dtype()), t["array(True)"]);
  EXPECT_EQ(dtype_name(mean(ones({3}, int32)).dtype()), t["mean(int32)"]);
  EXPECT_EQ(dtype_name(sqrt(ones({3}, float16)).dtype()), t["sqrt(float16)"]);
  EXPECT_EQ(dtype_name(sqrt(ones({3}, int32)).dtype()), t["sqrt(int32)"]);
  EXPECT_EQ(dtype_name(sum(ones({3}, bool_)).dtype()), t["sum(bool)"]);
  EXPECT_EQ(dtype_name(sum(ones({3}, int8)).dtype()), t["sum(int8)"]);
  EXPECT_EQ(dtype_name(sum(ones({3}, uint8)).dtype()), t["sum(uint8)"]);
}

TEST(Dtype, CategoriesAndKinds) {
  EXPECT_TRUE(issubdtype(float16, floating));
  EXPECT_TRUE(issubdtype(bfloat16, inexact));
  EXPECT_TRUE(issubdtype(complex64, inexact));
  EXPECT_FALSE(issubdtype(complex64, floating));
  EXPECT_TRUE(issubdtype(int8, signedinteger));
  EXPECT_TRUE(issubdtype(uint64, integer));
  EXPECT_FALSE(issubdtype(bool_, integer));
  EXPECT_TRUE(issubdtype(bool_, generic));
  EXPECT_TRUE(issubdtype(floating, inexact));
  EXPECT_FALSE(issubdtype(inexact, floating));
  EXPECT_TRUE(issubdtype(float32, float32));
  EXPECT_FALSE(issubdtype(float32, float64));
  EXPECT_EQ(kindof(bfloat16), Dtype::Kind::V);
  EXPECT_EQ(kindof(uint16), Dtype::Kind::u);
  EXPECT_EQ(size_of(complex64), 8);
  EXPECT_EQ(size_of(bool_), 1);
}

TEST(Dtype, LimitsOfEachType) {
  EXPECT_EQ(finfo(float16).max, 65504.0);
  EXPECT_EQ(finfo(float16).eps, std::ldexp(1.0, -10));
  EXPECT_EQ(finfo(bfloat16).eps, std::ldexp(1.0, -7));
  EXPECT_EQ(finfo(float32).max, static_cast<double>(std::numeric_limits<float>::max()));
  EXPECT_EQ(finfo(complex64).dtype, float32);
  EXPECT_EQ(iinfo(int8).min, -128);
  EXPECT_EQ(iinfo(uint64).max, std::numeric_limits<uint64_t>::max());
  EXPECT_THROW(finfo{int32}, std::invalid_argument);
  EXPECT_THROW(iinfo{float32}, std::invalid_argument);
}

// Reference conversions in double arithmetic, independent of the bit tricks.
double half_value(uint16_t h) {
  const int sign = h >> 15;
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  double v;
  if (exp == 0) {
    v = std::ldexp(mant, -24);
  } else if (exp == 31) {
    v = mant ? NAN : INFINITY;
  } else {
    v = std::ldexp(1024 + mant, exp - 25);
  }
  return sign ? -v : v;
}

TEST(HalfTypes, EveryFloat16ValueConvertsToFloatExactly) {
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    const float f = float16_t::from_bits(static_cast<uint16_t>(bits));
    const double ref = half_value(static_cast<uint16_t>(bits));
    if (std::isnan(ref)) {
      EXPECT_TRUE(std::isnan(f)) << bits;
    } else {
      ASSERT_EQ(static_cast<double>(f), ref) << bits;
      // And back, bit for bit (signed zeros included).
      ASSERT_EQ(float16_t(f).bits_, bits) << bits;
    }
  }
}

// Nearest float16 of x by search over all finite values; ties to the even mantissa.
uint16_t nearest_half(double x) {
  if (std::isnan(x)) {
    return 0x7e00;
  }
  const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double ax = std::fabs(x);
  if (ax >= 65520.0) {
    return sign | 0x7c00;
  }
  uint16_t best = 0;
  double best_err = INFINITY;
  // Binary search over the monotone positive encodings 0..0x7bff.
  int lo = 0, hi = 0x7bff;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (half_value(static_cast<uint16_t>(mid)) <= ax) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  for (int c = std::max(0, lo - 1); c <= std::min(0x7bff, lo + 1); ++c) {
    const double err = std::fabs(half_value(static_cast<uint16_t>(c)) - ax);
    if (err < best_err || (err == best_err && (c & 1) == 0)) {
      best = static_cast<uint16_t>(c);
      best_err = err;
    }
  }
  return sign | best;
}

TEST(HalfTypes, FloatToFloat16RoundsToNearestEven) {
  std::mt19937 gen(7);
  std::uniform_int_distribution<uint32_t> bits(0, 0xffffffffu);
  for (int i = 0; i < 200000; ++i) {
    const float f = std::bit_cast<float>(bits(gen));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(float16_t(f))));
      continue;
    }
    ASSERT_EQ(float16_t(f).bits_, nearest_half(f)) << f;
  }
  // Exact ties: halfway between 1 and 1 + 2^-10 rounds to even (1.0).
  EXPECT_EQ(float16_t(1.0f + std::ldexp(1.0f, -11)).bits_, 0x3c00);
  EXPECT_EQ(float16_t(1.0f + 3 * std::ldexp(1.0f, -11)).bits_, 0x3c02);
  EXPECT_EQ(float16_t(65519.0f).bits_, 0x7bff);
  EXPECT_EQ(float16_t(65520.0f).bits_, 0x7c00);
  EXPECT_EQ(float16_t(std::ldexp(1.0f, -25)).bits_, 0x0000);  // tie to even zero
  EXPECT_EQ(float16_t(std::ldexp(3.0f, -26)).bits_, 0x0001);
}

TEST(HalfTypes, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(bfloat16_t(1.0f).bits_, 0x3f80);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even.
  EXPECT_EQ(bfloat16_t(1.0f + std::ldexp(1.0f, -8)).bits_, 0x3f80);
  EXPECT_EQ(bfloat16_t(1.0f + 3 * std::ldexp(1.0f, -8)).bits_, 0x3f82);
  EXPECT_EQ(bfloat16_t(NAN).bits_, 0x7fc0);
  EXPECT_EQ(bfloat16_t(-INFINITY).bits_, 0xff80);
  std::mt19937 gen(11);
  std::uniform_int_distribution<uint32_t> bits(0, 0xffffffffu);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t u = bits(gen);
    const float f = std::bit_cast<float>(u);
    if (std::isnan(f) || std::isinf(f)) {
      continue;
    }
    // The two bfloat16 neighbours of f, in double (the upper one may be 2^128).
    const double lo = std::bit_cast<float>(u & 0xffff0000u);
    const uint32_t e = (u >> 23) & 0xffu;
    const double step = std::ldexp(1.0, static_cast<int>(e == 0 ? 1 : e) - 127 - 7);
    const double hi = lo + (std::signbit(f) ? -step : step);
    const double dlo = std::fabs(double(f) - lo);
    const double dhi = std::fabs(hi - double(f));
    uint16_t expect = static_cast<uint16_t>(u >> 16);
    if (dhi < dlo || (dhi == dlo && (expect & 1))) {
      expect = static_cast<uint16_t>(expect + 1);
    }
    ASSERT_EQ(bfloat16_t(f).bits_, expect) << f;
  }
}

TEST(HalfTypes, AstypeUsesTheSameRounding) {
  auto x = array({1.0f + std::ldexp(1.0f, -11), 65520.0f, -0.0f, 1e-8f});
  auto h = astype(x, float16);
  h.eval();
  const auto* p = h.data<float16_t>();
  EXPECT_EQ(p[0].bits_, 0x3c00);
  EXPECT_EQ(p[1].bits_, 0x7c00);
  EXPECT_EQ(p[2].bits_, 0x8000);
  EXPECT_EQ(p[3].bits_, 0x0000);
}

}  // namespace
}  // namespace mlxcpp::test
