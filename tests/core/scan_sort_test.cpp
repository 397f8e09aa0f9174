// Scans and sorting: MLX's outputs from the fixtures and naive references.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <numeric>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

nlohmann::json ops_cases(const std::string& op) {
  std::ifstream in(fixture("core/index.json"));
  auto index = nlohmann::json::parse(in);
  nlohmann::json out = nlohmann::json::array();
  for (auto& c : index["cases"]) {
    if (c["family"] == "ops" && c["op"] == op) {
      out.push_back(c);
    }
  }
  return out;
}

array fixture_array(const nlohmann::json& entry) {
  return load(fixture("core/" + entry["file"].get<std::string>()));
}

TEST(ScanFixtures, CumulativeOpsMatchMlx) {
  int checked = 0;
  for (std::string op : {"cumsum", "cumprod", "cummax", "cummin"}) {
    for (auto& c : ops_cases(op)) {
      auto x = fixture_array(c["inputs"]["x"]);
      auto y_ref = fixture_array(c["outputs"]["y"]);
      const int axis = c["args"]["axis"];
      const bool reverse = c["args"]["reverse"];
      const bool inclusive = c["args"]["inclusive"];
      array y = op == "cumsum"    ? cumsum(x, axis, reverse, inclusive)
                : op == "cumprod" ? cumprod(x, axis, reverse, inclusive)
                : op == "cummax"  ? cummax(x, axis, reverse, inclusive)
                                  : cummin(x, axis, reverse, inclusive);
      ASSERT_EQ(y.dtype(), y_ref.dtype()) << c["id"];
      if (c["tolerance"]["kind"] == "exact") {
        EXPECT_TRUE(array_equal(y, y_ref).item<bool>()) << c["id"];
      } else {
        EXPECT_TRUE(allclose(y, y_ref, 0.0, c["tolerance"]["atol"].get<double>()).item<bool>())
            << c["id"];
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 22);
}

TEST(Scan, Semantics) {
  auto x = array({1, 2, 3, 4});
  expect_values<int>(cumsum(x), {4}, int32, {1, 3, 6, 10});
  expect_values<int>(cumsum(x, 0, true), {4}, int32, {10, 9, 7, 4});
  expect_values<int>(cumsum(x, 0, false, false), {4}, int32, {0, 1, 3, 6});
  expect_values<int>(cumsum(x, 0, true, false), {4}, int32, {9, 7, 4, 0});
  expect_values<int>(cumprod(x), {4}, int32, {1, 2, 6, 24});
  expect_values<int>(cummax(array({1, 3, 2, 5})), {4}, int32, {1, 3, 3, 5});
  expect_values<int>(cummin(array({4, 3, 5, 1})), {4}, int32, {4, 3, 3, 1});
  // bool sums widen to int32; other types are kept, or set by dtype.
  expect_values<int>(cumsum(array({true, true, false})), {3}, int32, {1, 2, 2});
  EXPECT_EQ(cumsum(array({1, 2}, int8)).dtype(), int8);
  EXPECT_EQ(cumsum(array({1, 2}, int8), 0, false, true, float32).dtype(), float32);
  // Without an axis the array is flattened.
  expect_values<int>(cumsum(reshape(arange(4), {2, 2})), {4}, int32, {0, 1, 3, 6});
  auto m = reshape(arange(6), {2, 3});
  expect_values<int>(cumsum(m, 1), {2, 3}, int32, {0, 1, 3, 3, 7, 12});
  expect_values<int>(cumsum(transpose(m), 0), {3, 2}, int32, {0, 3, 1, 7, 3, 12});
  EXPECT_THROW(cumsum(m, 2), std::invalid_argument);
  EXPECT_THROW(logcumsumexp(array({1, 2})), std::invalid_argument);
}

TEST(Scan, LogcumsumexpAgainstReference) {
  auto xv = random_values(200, -20, 20, 4);
  auto x = make_array(xv, {200}, float64);
  auto got = values<double>(logcumsumexp(x));
  double acc = -INFINITY;
  for (size_t i = 0; i < xv.size(); ++i) {
    const double hi = std::max(acc, xv[i]);
    acc = hi + std::log(std::exp(acc - hi) + std::exp(xv[i] - hi));
    ASSERT_NEAR(got[i], acc, 1e-12 * std::max(1.0, std::fabs(acc)));
  }
  expect_values<float>(logcumsumexp(array({-INFINITY, 0.0f})), {2}, float32, {-INFINITY, 0});
}

TEST(Scan, LongAxesAndManyRows) {
  auto x = ones({300, 1000}, int32);
  auto c = values<int>(cumsum(x, 1));
  for (int r = 0; r < 300; r += 37) {
    ASSERT_EQ(c[r * 1000 + 999], 1000);
  }
  auto c0 = values<int>(cumsum(x, 0, true));
  ASSERT_EQ(c0[0], 300);
  ASSERT_EQ(c0[299 * 1000 + 5], 1);
}

TEST(Diff, NthDifference) {
  expect_values<int>(diff(array({1, 4, 9, 16})), {3}, int32, {3, 5, 7});
  expect_values<int>(diff(array({1, 4, 9, 16}), 2), {2}, int32, {2, 2});
  expect_values<int>(diff(reshape(arange(6), {2, 3}), 1, 0), {1, 3}, int32, {3, 3, 3});
  expect_values<int>(diff(array({1, 2}), 0), {2}, int32, {1, 2});
  EXPECT_THROW(diff(array({1, 2}), -1), std::invalid_argument);
}

TEST(SortFixtures, SortAndArgsortMatchMlx) {
  int checked = 0;
  for (std::string op : {"sort", "argsort"}) {
    for (auto& c : ops_cases(op)) {
      auto x = fixture_array(c["inputs"]["x"]);
      auto y_ref = fixture_array(c["outputs"]["y"]);
      const int axis = c["args"]["axis"];
      auto y = op == "sort" ? sort(x, axis) : argsort(x, axis);
      ASSERT_EQ(y.dtype(), y_ref.dtype()) << c["id"];
      EXPECT_TRUE(array_equal(y, y_ref).item<bool>()) << c["id"];
      ++checked;
    }
  }
  EXPECT_EQ(checked, 4);
}

TEST(Sort, NanLastAndStable) {
  expect_values<float>(sort(array({3.0f, NAN, -1.0f, 2.0f})), {4}, float32, {-1, 2, 3, NAN});
  expect_values<uint32_t>(argsort(array({2, 1, 2, 1})), {4}, uint32, {1, 3, 0, 2});
  expect_values<uint32_t>(argsort(array({NAN, 1.0f, NAN, 0.0f})), {4}, uint32, {3, 1, 0, 2});
  auto m = reshape(array({3, 1, 2, 9, 8, 7}), {2, 3});
  expect_values<int>(sort(m), {6}, int32, {1, 2, 3, 7, 8, 9});  // flattened
  expect_values<int>(sort(m, 0), {2, 3}, int32, {3, 1, 2, 9, 8, 7});
  expect_values<int>(sort(m, -1), {2, 3}, int32, {1, 2, 3, 7, 8, 9});
  expect_values<int>(sort(transpose(m), 1), {3, 2}, int32, {3, 9, 1, 8, 2, 7});
  expect_values<bool>(sort(array({true, false, true})), {3}, bool_, {false, true, true});
  EXPECT_THROW(sort(m, 2), std::invalid_argument);
}

TEST(Sort, RandomizedAgainstStdSort) {
  auto v = random_values(64 * 257, -100, 100, 12);
  auto x = make_array(v, {64, 257}, float32);
  auto xs = values<float>(x);
  auto got = values<float>(sort(x, 1));
  auto idx = values<uint32_t>(argsort(x, 1));
  for (int r = 0; r < 64; ++r) {
    std::vector<float> row(xs.begin() + r * 257, xs.begin() + (r + 1) * 257);
    std::vector<uint32_t> order(257);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return row[a] < row[b]; });
    std::sort(row.begin(), row.end());
    for (int k = 0; k < 257; ++k) {
      ASSERT_EQ(got[r * 257 + k], row[k]);
      ASSERT_EQ(idx[r * 257 + k], order[k]);
    }
  }
}

}  // namespace
}  // namespace mlxcpp::test
