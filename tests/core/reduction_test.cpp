// Reductions over any axes against a naive reference; mean/var/std/median;
// arg reductions; logsumexp and softmax against MLX's outputs.
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <set>

#include "fixture_index.h"

namespace mlxcpp::test {
namespace {

// Naive reduction of row-major values over `axes` with keepdims.
std::vector<double> naive_reduce(const std::vector<double>& x, const Shape& shape,
                                 const std::vector<int>& axes, double init,
                                 const std::function<double(double, double)>& f, Shape& out_shape) {
  std::set<int> ax(axes.begin(), axes.end());
  out_shape = shape;
  for (int a : ax) {
    out_shape[a] = 1;
  }
  int64_t out_size = 1;
  for (auto d : out_shape) {
    out_size *= d;
  }
  std::vector<double> out(out_size, init);
  const auto ost = strides_of(out_shape);
  for (size_t i = 0; i < x.size(); ++i) {
    auto idx = unravel(static_cast<int64_t>(i), shape);
    int64_t o = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      o += (ax.count(static_cast<int>(d)) ? 0 : idx[d]) * ost[d];
    }
    out[o] = f(out[o], x[i]);
  }
  return out;
}

struct ReduceCase {
  const char* name;
  std::function<array(const array&, const std::vector<int>&, bool)> op;
  double init;
  std::function<double(double, double)> f;
};

std::vector<ReduceCase> reduce_cases() {
  return {
      {"sum", [](auto& a, auto& ax, bool k) { return sum(a, ax, k); }, 0.0,
       [](double acc, double v) { return acc + v; }},
      {"prod", [](auto& a, auto& ax, bool k) { return prod(a, ax, k); }, 1.0,
       [](double acc, double v) { return acc * v; }},
      {"max", [](auto& a, auto& ax, bool k) { return max(a, ax, k); }, -INFINITY,
       [](double acc, double v) { return std::max(acc, v); }},
      {"min", [](auto& a, auto& ax, bool k) { return min(a, ax, k); }, INFINITY,
       [](double acc, double v) { return std::min(acc, v); }},
  };
}

TEST(Reduce, EveryAxisSetAgainstNaiveReference) {
  const Shape shape{3, 4, 5, 2};
  std::vector<std::vector<int>> axis_sets = {{0},    {1},       {2},       {3},         {-1},
                                             {0, 1}, {1, 2},    {0, 2},    {1, 3},      {0, 3},
                                             {2, 3}, {0, 1, 2}, {0, 2, 3}, {0, 1, 2, 3}};
  for (const auto& c : reduce_cases()) {
    for (Dtype t : {float32, float64, int32, int64, float16}) {
      // Values near 1 keep products representable in every type.
      auto raw = random_values(120, 0.5, 1.5, 5);
      if (issubdtype(t, integer)) {
        for (auto& v : raw) {
          v = std::round(v * 3 - 2);  // -1..2
        }
      }
      auto x = make_array(raw, shape, t);
      auto xv = values<double>(x);
      for (const auto& axes : axis_sets) {
        std::vector<int> norm;
        for (int a : axes) {
          norm.push_back(a < 0 ? a + 4 : a);
        }
        Shape ref_shape;
        auto ref = naive_reduce(xv, shape, norm, c.init, c.f, ref_shape);
        for (bool keep : {true, false}) {
          auto y = c.op(x, axes, keep);
          if (keep) {
            ASSERT_EQ(y.shape(), ref_shape);
          }
          ASSERT_EQ(y.size(), ref.size());
          auto got = values<double>(y);
          const double tol = t == float16 ? 2e-2 : (t == float32 ? 2e-5 : 1e-12);
          for (size_t i = 0; i < ref.size(); ++i) {
            ASSERT_NEAR(got[i], ref[i], tol * std::max(1.0, std::fabs(ref[i])))
                << c.name << " " << dtype_name(t) << " axes " << axes.size() << " i " << i;
          }
        }
      }
    }
  }
}

TEST(Reduce, TransposedAndBroadcastInputs) {
  auto m = reshape(astype(arange(12), float32), {3, 4});
  expect_values<float>(sum(transpose(m), 1), {4}, float32, {12, 15, 18, 21});
  expect_values<float>(sum(transpose(m), 0), {3}, float32, {6, 22, 38});
  auto b = broadcast_to(array({1.0f, 2.0f}), {5, 2});
  expect_values<float>(sum(b, 0), {2}, float32, {5, 10});
  expect_values<float>(max(slice(m, {0, 1}, {3, 4}, {2, 2}), 1), {2}, float32, {3, 11});
}

TEST(Reduce, OutputTypesAndAllAxes) {
  EXPECT_EQ(sum(array({true, true, false})).item<int32_t>(), 2);
  EXPECT_EQ(sum(array({200, 100}, uint8)).dtype(), uint32);
  EXPECT_EQ(sum(array({200, 100}, uint8)).item<uint32_t>(), 300u);
  EXPECT_EQ(sum(array({-100, -100}, int8)).item<int32_t>(), -200);
  EXPECT_EQ(prod(array({3, 4}, int16)).dtype(), int32);
  EXPECT_EQ(max(array({3, 4}, int16)).dtype(), int16);
  EXPECT_EQ(sum(array({1}, int64)).dtype(), int64);
  EXPECT_EQ(sum(array({1}, uint64)).dtype(), uint64);
  expect_values<float>(sum(reshape(arange(6.0), {2, 3}), true), {1, 1}, float32, {15});
  expect_values<int>(sum(reshape(arange(6), {2, 3}), std::vector<int>{}), {2, 3}, int32,
                     {0, 1, 2, 3, 4, 5});  // no axes: the array itself
  expect_values<float>(sum(array(3.0f)), {}, float32, {3});
}

TEST(Reduce, EmptyAxesGiveTheIdentityOrAnError) {
  expect_values<float>(sum(zeros({0, 3}), 0), {3}, float32, {0, 0, 0});
  expect_values<float>(prod(zeros({3, 0}), 1), {3}, float32, {1, 1, 1});
  expect_values<bool>(all(zeros({0})), {}, bool_, {true});
  expect_values<bool>(any(zeros({0})), {}, bool_, {false});
  EXPECT_THROW(max(zeros({0, 3}), 0), std::invalid_argument);
  EXPECT_THROW(min(zeros({0})), std::invalid_argument);
  EXPECT_EQ(max(zeros({0, 3}), 1).shape(), Shape{0});
  EXPECT_THROW(argmax(zeros({0})), std::invalid_argument);
}

TEST(Reduce, NanPropagatesThroughMaxMin) {
  auto x = array({1.0f, NAN, 3.0f, 2.0f});
  EXPECT_TRUE(std::isnan(max(x).item<float>()));
  EXPECT_TRUE(std::isnan(min(x).item<float>()));
  EXPECT_TRUE(std::isnan(sum(x).item<float>()));
}

TEST(Reduce, AllAnyCountNonzero) {
  auto x = reshape(array({0, 1, 2, 0, 0, 0}), {2, 3});
  expect_values<bool>(all(x, 1), {2}, bool_, {false, false});
  expect_values<bool>(any(x, 1), {2}, bool_, {true, false});
  expect_values<bool>(any(x, 0, true), {1, 3}, bool_, {false, true, true});
  expect_values<bool>(all(array({1.0f, 2.0f})), {}, bool_, {true});
  expect_values<int>(count_nonzero(x), {}, int32, {2});
  expect_values<int>(count_nonzero(x, 0), {3}, int32, {0, 1, 1});
}

TEST(Reduce, MeanVarStd) {
  auto x = reshape(astype(arange(6), float32), {2, 3});
  expect_values<float>(mean(x), {}, float32, {2.5f});
  expect_values<float>(mean(x, 0), {3}, float32, {1.5f, 2.5f, 3.5f});
  expect_values<float>(mean(x, 1, true), {2, 1}, float32, {1, 4});
  EXPECT_EQ(mean(array({1, 2})).dtype(), float32);
  expect_close(var(x), {35.0 / 12.0}, 1e-6);
  expect_close(var(x, 1, false, 1), {1.0, 1.0}, 1e-6);
  expect_close(std(x, 0), {1.5, 1.5, 1.5}, 1e-6);
  expect_close(std(x, std::vector<int>{0, 1}, false, 1), {std::sqrt(3.5)}, 1e-6);
  // ddof >= count gives inf (division by 0), as MLX and NumPy.
  EXPECT_TRUE(std::isinf(var(array({1.0f, 2.0f}), false, 2).item<float>()));
  // Complex variance is the mean squared magnitude.
  auto c = array({complex64_t(1, 1), complex64_t(-1, -1)});
  EXPECT_EQ(var(c).dtype(), float32);
  EXPECT_NEAR(var(c).item<float>(), 2.0f, 1e-6);
  EXPECT_THROW(mean(x, 2), std::invalid_argument);
}

TEST(Reduce, Median) {
  expect_values<float>(median(array({3, 1, 2})), {}, float32, {2});
  expect_values<float>(median(array({4.0f, 1.0f, 3.0f, 2.0f})), {}, float32, {2.5f});
  auto x = reshape(array({5, 1, 9, 2, 8, 3}), {2, 3});
  expect_values<float>(median(x, 1), {2}, float32, {5, 3});
  expect_values<float>(median(x, 0, true), {1, 3}, float32, {3.5f, 4.5f, 6});
  expect_values<float>(median(array({1.0f, NAN, 3.0f})), {}, float32, {NAN});
  EXPECT_THROW(median(zeros({0})), std::invalid_argument);
}

TEST(Reduce, ArgMinArgMax) {
  auto x = reshape(array({3, 9, 9, 1, 0, 5}), {2, 3});
  expect_values<uint32_t>(argmax(x), {}, uint32, {1});  // first of equal maxima
  expect_values<uint32_t>(argmin(x), {}, uint32, {4});
  expect_values<uint32_t>(argmax(x, 1), {2}, uint32, {1, 2});
  expect_values<uint32_t>(argmin(x, 0), {3}, uint32, {1, 1, 1});
  expect_values<uint32_t>(argmax(x, 1, true), {2, 1}, uint32, {1, 2});
  expect_values<uint32_t>(argmax(x, true), {1, 1}, uint32, {1});
  expect_values<uint32_t>(argmax(transpose(x), 0), {2}, uint32, {1, 2});
  EXPECT_EQ(argmax(array({1.0f, NAN, 3.0f})).item<uint32_t>(), 2u);  // MLX skips a later NaN
  EXPECT_THROW(argmax(x, 2), std::invalid_argument);
}

// The first index where the sequential rule (replace on strictly better) stops.
uint32_t sequential_arg(const std::vector<float>& v, bool is_max) {
  float best = v[0];
  uint32_t index = 0;
  for (size_t k = 1; k < v.size(); ++k) {
    if (is_max ? v[k] > best : v[k] < best) {
      best = v[k];
      index = uint32_t(k);
    }
  }
  return index;
}

// Long contiguous rows take a blocked path; it must give the sequential rule's index
// exactly: ties (first wins), NaNs first (they win) or later (skipped), infinities, and
// extremes in any block or in the short tail.
TEST(Reduce, ArgMinArgMaxLongRowsMatchTheSequentialRule) {
  const int n = 3 * 1024 + 37;
  std::vector<std::vector<float>> rows;
  uint32_t state = 12345;
  auto next = [&] { return (state = state * 1664525u + 1013904223u) >> 8; };
  for (int r = 0; r < 12; ++r) {
    std::vector<float> v(n);
    for (auto& x : v) {
      x = float(int(next() % 41) - 20);  // small integers: many ties, exact in every type
    }
    rows.push_back(v);
  }
  rows[1][0] = NAN;                  // a NaN first wins
  rows[2][5] = rows[2][2000] = NAN;  // later NaNs are skipped
  rows[3][n - 3] = 100;              // the extreme in the tail
  rows[4][1500] = INFINITY;          // an infinity in a middle block
  rows[4][1501] = -INFINITY;
  rows[5].assign(n, -INFINITY);  // nothing beats the first
  rows[6].assign(n, NAN);
  rows[7][0] = -INFINITY;
  rows[7][2047] = 21;  // the last element of a block
  rows[7][2048] = 21;  // a tie in the next block
  std::vector<float> flat;
  for (const auto& v : rows) {
    flat.insert(flat.end(), v.begin(), v.end());
  }
  const array x(flat.data(), {int(rows.size()), n}, float32);
  for (Dtype dt : {float32, float16, bfloat16}) {
    for (bool is_max : {true, false}) {
      const auto got =
          values<uint32_t>(is_max ? argmax(astype(x, dt), 1) : argmin(astype(x, dt), 1));
      for (size_t r = 0; r < rows.size(); ++r) {
        EXPECT_EQ(got[r], sequential_arg(rows[r], is_max))
            << "row " << r << " dtype " << dtype_name(dt) << (is_max ? " argmax" : " argmin");
      }
    }
  }
}

TEST(Reduce, LargeInputsSplitAcrossThreads) {
  const int n = 1 << 22;
  auto x = ones({n});
  EXPECT_EQ(sum(x).item<float>(), float(n));
  auto m = reshape(astype(arange(n), int64), {1024, 4096});
  auto rows = values<int64_t>(sum(m, 1));
  for (int r = 0; r < 1024; r += 97) {
    const int64_t first = int64_t(r) * 4096;
    ASSERT_EQ(rows[r], 4096 * first + 4096 * 4095 / 2);
  }
  auto cols = values<int64_t>(sum(m, 0));
  for (int c = 0; c < 4096; c += 331) {
    ASSERT_EQ(cols[c], int64_t(1024) * c + int64_t(4096) * (1023 * 1024 / 2));
  }
  EXPECT_EQ(max(m).item<int64_t>(), int64_t(n) - 1);
}

// ----------------------------------------------------------------- fixtures

std::vector<nlohmann::json> index_cases(const std::string& op) {
  return fixture_cases("fast", op);
}

std::vector<int> axes_of(const nlohmann::json& v) {
  if (v.is_array()) {
    return v.get<std::vector<int>>();
  }
  return {v.get<int>()};
}

TEST(ReduceFixtures, LogsumexpMatchesMlx) {
  auto cases = index_cases("logsumexp");
  ASSERT_EQ(cases.size(), 6u);
  for (auto& c : cases) {
    auto x = load(fixture("core/" + c["inputs"]["x"]["file"].get<std::string>()));
    auto y_ref = load(fixture("core/" + c["outputs"]["y"]["file"].get<std::string>()));
    auto y = logsumexp(x, axes_of(c["args"]["axis"]), c["args"]["keepdims"].get<bool>());
    ASSERT_EQ(y.shape(), y_ref.shape()) << c["id"];
    ASSERT_EQ(y.dtype(), y_ref.dtype()) << c["id"];
    const double atol = c["tolerance"]["atol"];
    EXPECT_TRUE(allclose(y, y_ref, 0.0, atol).item<bool>()) << c["id"];
  }
}

TEST(ReduceFixtures, SoftmaxMatchesMlx) {
  auto cases = index_cases("softmax");
  ASSERT_EQ(cases.size(), 10u);
  for (auto& c : cases) {
    auto x = load(fixture("core/" + c["inputs"]["x"]["file"].get<std::string>()));
    auto y_ref = load(fixture("core/" + c["outputs"]["y"]["file"].get<std::string>()));
    const bool precise = c["args"].value("precise", false);
    auto y = softmax(x, axes_of(c["args"]["axis"]), precise);
    ASSERT_EQ(y.shape(), y_ref.shape()) << c["id"];
    ASSERT_EQ(y.dtype(), y_ref.dtype()) << c["id"];
    if (c["tolerance"]["kind"] == "exact_nan_aware") {
      // An all -inf row: softmax gives NaN and logsumexp -inf, as MLX. (The
      // finite row is compared to a few ulp: exp implementations differ.)
      const double atol = y.dtype() == float16 ? 1e-3 : 1e-6;
      EXPECT_TRUE(allclose(y, y_ref, 0.0, atol, true).item<bool>()) << c["id"];
      EXPECT_TRUE(array_equal(isnan(y), isnan(y_ref)).item<bool>()) << c["id"];
      auto lse_ref = load(fixture("core/" + c["outputs"]["lse"]["file"].get<std::string>()));
      EXPECT_TRUE(array_equal(logsumexp(x, -1), lse_ref, true).item<bool>()) << c["id"];
    } else {
      const double atol = c["tolerance"]["atol"];
      EXPECT_TRUE(allclose(y, y_ref, 0.0, atol).item<bool>()) << c["id"];
    }
  }
}

TEST(Softmax, RowsSumToOneInEveryFloatType) {
  auto x = make_array(random_values(4 * 300, -30, 30, 9), {4, 300}, float32);
  for (Dtype t : {float32, float64, float16, bfloat16}) {
    auto s = values<double>(sum(softmax(astype(x, t), -1), -1));
    for (double v : s) {
      EXPECT_NEAR(v, 1.0, t == bfloat16 ? 0.05 : (t == float16 ? 5e-3 : 1e-5)) << dtype_name(t);
    }
  }
  // Integer input: the fused last-axis path gives float32.
  EXPECT_EQ(softmax(array({1, 2}), -1).dtype(), float32);
  EXPECT_EQ(softmax(zeros({0})).size(), 0u);
}

}  // namespace
}  // namespace mlxcpp::test
