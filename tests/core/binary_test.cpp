// Binary ops: broadcasting, promotion, every dtype, MLX's integer semantics,
// and a randomized comparison with a double reference.
#include <functional>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

TEST(Binary, BroadcastingShapes) {
  auto a = reshape(arange(6), {2, 3});
  auto b = array({10, 20, 30});
  expect_values<int>(a + b, {2, 3}, int32, {10, 21, 32, 13, 24, 35});
  auto c = reshape(array({100, 200}), {2, 1});
  expect_values<int>(a + c, {2, 3}, int32, {100, 101, 102, 203, 204, 205});
  expect_values<int>(c + b, {2, 3}, int32, {110, 120, 130, 210, 220, 230});
  expect_values<int>(a * 2, {2, 3}, int32, {0, 2, 4, 6, 8, 10});
  expect_values<int>(2 - a, {2, 3}, int32, {2, 1, 0, -1, -2, -3});
  // 0-d with anything, and empty shapes.
  expect_values<int>(array(3) * array(4), {}, int32, {12});
  EXPECT_EQ((zeros({0, 3}) + ones({3})).shape(), (Shape{0, 3}));
  EXPECT_EQ((zeros({2, 1, 4}) + ones({3, 1})).shape(), (Shape{2, 3, 4}));
  EXPECT_THROW(reshape(arange(6), {2, 3}) + arange(2), std::invalid_argument);
}

TEST(Binary, StridedOperands) {
  auto m = reshape(astype(arange(12), float32), {3, 4});
  auto t = transpose(m);                      // (4, 3)
  auto s = slice(m, {0, 0}, {3, 4}, {1, 2});  // (3, 2)
  expect_values<float>(t - transpose(m), {4, 3}, float32, std::vector<float>(12, 0.0f));
  expect_values<float>(s * s, {3, 2}, float32, {0, 4, 16, 36, 64, 100});
  auto r = flip(arange(4), 0);
  expect_values<int>(r + arange(4), {4}, int32, {3, 3, 3, 3});
  // Mixed: a transposed operand against a broadcast one.
  expect_values<float>(t + array({1.0f, 2.0f, 3.0f}), {4, 3}, float32,
                       {1, 6, 11, 2, 7, 12, 3, 8, 13, 4, 9, 14});
}

TEST(Binary, EveryDtypeAddsAndCompares) {
  for (auto t : all_dtypes()) {
    auto a = astype(array({0, 1, 1}), t);
    auto b = astype(array({1, 1, 0}), t);
    auto sum_ab = values<double>(add(a, b));
    if (t == bool_) {
      EXPECT_EQ(sum_ab, (std::vector<double>{1, 1, 1}));
    } else {
      EXPECT_EQ(sum_ab, (std::vector<double>{1, 2, 1})) << dtype_name(t);
    }
    expect_values<bool>(equal(a, b), {3}, bool_, {false, true, false});
    expect_values<bool>(not_equal(a, b), {3}, bool_, {true, false, true});
    expect_values<bool>(less(a, b), {3}, bool_, {true, false, false});
    expect_values<bool>(greater_equal(a, b), {3}, bool_, {false, true, true});
  }
}

TEST(Binary, FixtureDivisionSemanticsMatchMlx) {
  // MLX: integer floor_divide truncates; remainder follows the divisor's sign;
  // divide of integers gives float32; divmod floors.
  for (std::string t : {"int32", "int8", "int64"}) {
    auto a = load(fixture("core/ops/div_a_" + t + ".npy"));
    auto b = load(fixture("core/ops/div_b_" + t + ".npy"));
    auto fd = load(fixture("core/ops/floor_divide_" + t + "_y.npy"));
    auto rm = load(fixture("core/ops/remainder_" + t + "_y.npy"));
    EXPECT_TRUE(array_equal(floor_divide(a, b), fd).item<bool>()) << t;
    EXPECT_TRUE(array_equal(remainder(a, b), rm).item<bool>()) << t;
    EXPECT_EQ(floor_divide(a, b).dtype(), a.dtype());
  }
  auto a = load(fixture("core/ops/div_a_int32.npy"));
  auto b = load(fixture("core/ops/div_b_int32.npy"));
  auto d = divide(a, b);
  EXPECT_EQ(d.dtype(), float32);
  EXPECT_TRUE(array_equal(d, load(fixture("core/ops/divide_int32_y.npy"))).item<bool>());
  auto qr = divmod(a, b);
  EXPECT_TRUE(array_equal(qr[0], load(fixture("core/ops/divmod_q_int32.npy"))).item<bool>());
  EXPECT_TRUE(array_equal(qr[1], load(fixture("core/ops/divmod_r_int32.npy"))).item<bool>());
  auto af = load(fixture("core/ops/div_a_float32.npy"));
  auto bf = load(fixture("core/ops/div_b_float32.npy"));
  auto qf = divmod(af, bf);
  EXPECT_TRUE(array_equal(qf[0], load(fixture("core/ops/divmod_q_float32.npy"))).item<bool>());
  EXPECT_TRUE(array_equal(qf[1], load(fixture("core/ops/divmod_r_float32.npy"))).item<bool>());
  EXPECT_TRUE(
      array_equal(floor_divide(af, bf), load(fixture("core/ops/floor_divide_float32_y.npy")))
          .item<bool>());
  EXPECT_TRUE(array_equal(remainder(af, bf), load(fixture("core/ops/remainder_float32_y.npy")))
                  .item<bool>());
}

TEST(Binary, FixtureUint8ArithmeticWraps) {
  auto a = load(fixture("core/ops/u8_a.npy"));
  auto b = load(fixture("core/ops/u8_b.npy"));
  EXPECT_TRUE(array_equal(subtract(a, b), load(fixture("core/ops/u8_sub.npy"))).item<bool>());
  EXPECT_TRUE(array_equal(add(a, b), load(fixture("core/ops/u8_add.npy"))).item<bool>());
  EXPECT_TRUE(array_equal(multiply(a, b), load(fixture("core/ops/u8_mul.npy"))).item<bool>());
  EXPECT_TRUE(array_equal(floor_divide(a, b), load(fixture("core/ops/u8_fdiv.npy"))).item<bool>());
  EXPECT_EQ(subtract(a, b).dtype(), uint8);
}

TEST(Binary, IntegerEdgeCasesAreDefined) {
  const int32_t min = std::numeric_limits<int32_t>::min();
  // Division by zero and MIN / -1 do not trap.
  expect_values<int>(floor_divide(array({7, min, 0}), array({0, -1, 0})), {3}, int32, {0, min, 0});
  expect_values<int>(remainder(array({7, min}), array({0, -1})), {2}, int32, {0, 0});
  auto qr = divmod(array({7, min}), array({0, -1}));
  expect_values<int>(qr[0], {2}, int32, {0, min});
  expect_values<int>(qr[1], {2}, int32, {0, 0});
  // Overflow wraps.
  expect_values<int>(add(array({std::numeric_limits<int32_t>::max()}), array({1})), {1}, int32,
                     {min});
  expect_values<int>(multiply(array({65536}), array({65536})), {1}, int32, {0});
  expect_values<int>(multiply(array({uint16_t(65535)}), array({uint16_t(65535)})), {1}, uint16,
                     {1});
  // Integer powers; negative exponents give 0 as in MLX.
  expect_values<int>(power(array({2, 3, 2}), array({10, 0, -1})), {3}, int32, {1024, 1, 0});
  expect_values<int>(power(array({2}), array({40})), {1}, int32, {0});
  // Float division by zero follows IEEE.
  expect_values<float>(divide(array({1.0f, -1.0f, 0.0f}), array(0.0f)), {3}, float32,
                       {INFINITY, -INFINITY, NAN});
}

TEST(Binary, ShiftsAndBitwise) {
  expect_values<int>(left_shift(array({1, 1, 1, 3}), array({0, 4, 31, 40})), {4}, int32,
                     {1, 16, std::numeric_limits<int32_t>::min(), 0});
  expect_values<int>(right_shift(array({-16, 16, -1, 5}), array({2, 2, 40, -1})), {4}, int32,
                     {-4, 4, -1, 0});
  expect_values<int>(left_shift(array({1}, uint8), array({9}, uint8)), {1}, uint8, {0});
  expect_values<int>(bitwise_and(array({12}), array({10})), {1}, int32, {8});
  expect_values<int>(bitwise_or(array({12}), array({10})), {1}, int32, {14});
  expect_values<int>(bitwise_xor(array({12}), array({10})), {1}, int32, {6});
  expect_values<int>(array({12}) & array({10}), {1}, int32, {8});
  expect_values<int>(array({1}) << array({3}), {1}, int32, {8});
  expect_values<bool>(bitwise_and(array({true, true}), array({true, false})), {2}, bool_,
                      {true, false});
  EXPECT_EQ(left_shift(array({true}), array({true})).dtype(), uint8);
  EXPECT_THROW(bitwise_and(array(1.0f), array(1)), std::invalid_argument);
  EXPECT_THROW(left_shift(array(1.0f), array(1)), std::invalid_argument);
}

TEST(Binary, MaximumMinimumPropagateNan) {
  auto a = array({1.0f, NAN, 3.0f});
  auto b = array({2.0f, 0.0f, NAN});
  expect_values<float>(maximum(a, b), {3}, float32, {2, NAN, NAN});
  expect_values<float>(minimum(a, b), {3}, float32, {1, NAN, NAN});
  expect_values<int>(maximum(array({-1, 5}), array({3, 2})), {2}, int32, {3, 5});
}

TEST(Binary, LogAddExpArcTan2Power) {
  expect_close(logaddexp(array({0.0f, 100.0f, -INFINITY}), array({0.0f, 0.0f, -INFINITY})),
               {std::log(2.0), 100.0, -INFINITY}, 1e-5);
  expect_values<float>(logaddexp(array({INFINITY}), array({1.0f})), {1}, float32, {INFINITY});
  expect_close(arctan2(array({1.0f, -1.0f}), array({1.0f, -1.0f})), {M_PI / 4, -3 * M_PI / 4},
               1e-6);
  expect_close(power(array({2.0f, 9.0f}), array({0.5f, 0.5f})), {std::sqrt(2.0), 3.0}, 1e-6);
  EXPECT_EQ(logaddexp(array(1), array(2)).dtype(), float32);
  EXPECT_THROW(arctan2(array(complex64_t(1, 1)), array(1.0f)), std::invalid_argument);
}

TEST(Binary, LogicalOps) {
  auto a = array({true, true, false, false});
  auto b = array({true, false, true, false});
  expect_values<bool>(logical_and(a, b), {4}, bool_, {true, false, false, false});
  expect_values<bool>(logical_or(a, b), {4}, bool_, {true, true, true, false});
  expect_values<bool>(logical_xor(a, b), {4}, bool_, {false, true, true, false});
  expect_values<bool>(a && b, {4}, bool_, {true, false, false, false});
  expect_values<bool>(logical_and(array({2, 0}), array({1.5f, 1.0f})), {2}, bool_, {true, false});
}

TEST(Binary, WhereAndClip) {
  auto c = array({true, false, true});
  expect_values<float>(where(c, array({1, 2, 3}), array(0.5f)), {3}, float32, {1, 0.5f, 3});
  expect_values<int>(where(array({1, 0}), array(7), array(9)), {2}, int32, {7, 9});
  auto cond = reshape(array({true, false}), {2, 1});
  expect_values<int>(where(cond, reshape(arange(6), {2, 3}), array(-1)), {2, 3}, int32,
                     {0, 1, 2, -1, -1, -1});
  expect_values<int>(clip(arange(6), array(1), array(4)), {6}, int32, {1, 1, 2, 3, 4, 4});
  expect_values<int>(clip(arange(4), std::nullopt, array(1)), {4}, int32, {0, 1, 1, 1});
  EXPECT_THROW(clip(arange(4)), std::invalid_argument);
  EXPECT_THROW(where(array({true, false}), arange(3), arange(3)), std::invalid_argument);
}

TEST(Binary, IscloseAllcloseArrayEqual) {
  auto a = array({1.0f, INFINITY, -INFINITY, NAN, 1.0f});
  auto b = array({1.0f + 1e-6f, INFINITY, INFINITY, NAN, 1.1f});
  expect_values<bool>(isclose(a, b), {5}, bool_, {true, true, false, false, false});
  expect_values<bool>(isclose(a, b, 1e-5, 1e-8, true), {5}, bool_,
                      {true, true, false, true, false});
  EXPECT_TRUE(allclose(array({1.0f, 2.0f}), array({1.0f, 2.000001f})).item<bool>());
  EXPECT_FALSE(allclose(array({1.0f}), array({1.1f})).item<bool>());
  EXPECT_TRUE(array_equal(arange(3), array({0.0f, 1.0f, 2.0f})).item<bool>());
  EXPECT_FALSE(array_equal(arange(3), arange(4)).item<bool>());
  EXPECT_FALSE(array_equal(array({NAN}), array({NAN})).item<bool>());
  EXPECT_TRUE(array_equal(array({NAN}), array({NAN}), true).item<bool>());
}

struct BinaryCase {
  const char* name;
  std::function<array(const array&, const array&)> op;
  std::function<double(double, double)> ref;
};

TEST(Binary, RandomizedAgainstDoubleReference) {
  std::vector<BinaryCase> cases = {
      {"add", [](auto& a, auto& b) { return add(a, b); }, [](double x, double y) { return x + y; }},
      {"subtract", [](auto& a, auto& b) { return subtract(a, b); },
       [](double x, double y) { return x - y; }},
      {"multiply", [](auto& a, auto& b) { return multiply(a, b); },
       [](double x, double y) { return x * y; }},
      {"divide", [](auto& a, auto& b) { return divide(a, b); },
       [](double x, double y) { return x / y; }},
      {"maximum", [](auto& a, auto& b) { return maximum(a, b); },
       [](double x, double y) { return std::max(x, y); }},
      {"minimum", [](auto& a, auto& b) { return minimum(a, b); },
       [](double x, double y) { return std::min(x, y); }},
      {"power", [](auto& a, auto& b) { return power(a, b); },
       [](double x, double y) { return std::pow(x, y); }},
      {"logaddexp", [](auto& a, auto& b) { return logaddexp(a, b); },
       [](double x, double y) { return std::max(x, y) + std::log1p(std::exp(-std::fabs(x - y))); }},
      {"remainder", [](auto& a, auto& b) { return remainder(a, b); },
       [](double x, double y) {
         double r = std::fmod(x, y);
         return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
       }},
  };
  const Shape sa{7, 1, 33};
  const Shape sb{5, 1};
  for (const auto& c : cases) {
    for (Dtype t : {float32, float64}) {
      auto a = make_array(random_values(7 * 33, 0.5, 4.0, 1), sa, t);
      auto b = make_array(random_values(5, 0.5, 4.0, 2), sb, t);
      auto av = values<double>(a);
      auto bv = values<double>(b);
      auto y = c.op(a, b);
      ASSERT_EQ(y.shape(), (Shape{7, 5, 33}));
      auto got = values<double>(y);
      const double rel = t == float32 ? 2e-6 : 1e-13;
      for (int i = 0; i < 7; ++i) {
        for (int j = 0; j < 5; ++j) {
          for (int k = 0; k < 33; ++k) {
            const double ref = c.ref(av[i * 33 + k], bv[j]);
            const double v = got[(i * 5 + j) * 33 + k];
            ASSERT_NEAR(v, ref, rel * std::max(1.0, std::fabs(ref)))
                << c.name << " " << dtype_name(t);
          }
        }
      }
    }
  }
}

TEST(Binary, LargeOperandsUseThreads) {
  const int n = 1 << 21;
  auto a = astype(arange(n), float32);
  auto b = values<float>(a * 2.0f + a);
  for (int i = 0; i < n; i += 7919) {
    ASSERT_EQ(b[i], 3.0f * i);
  }
  auto m = reshape(a, {1024, 2048});
  auto r = values<float>(m + transpose(m, {0, 1}) - slice(m, {0, 0}, {1024, 2048}));
  for (int i = 0; i < n; i += 7919) {
    ASSERT_EQ(r[i], float(i));
  }
}

}  // namespace
}  // namespace mlxcpp::test
