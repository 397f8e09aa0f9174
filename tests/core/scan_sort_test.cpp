// Scans and sorting: MLX's outputs from the fixtures and naive references.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include "fixture_index.h"

namespace mlxcpp::test {
namespace {

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

// Expects each row of `part` (a partition of `x`'s rows at kth) to hold the row's values
// with the sorted kth value at kth, no greater before it and no smaller after it.
void expect_partitioned(const std::vector<float>& x, const std::vector<float>& part, int rows,
                        int n, int kth) {
  for (int r = 0; r < rows; ++r) {
    std::vector<float> row(x.begin() + r * n, x.begin() + (r + 1) * n);
    std::vector<float> got(part.begin() + r * n, part.begin() + (r + 1) * n);
    auto nan_last = [](float a, float b) { return !std::isnan(a) && (std::isnan(b) || a < b); };
    std::sort(row.begin(), row.end(), nan_last);
    const float pivot = got[kth];
    if (std::isnan(row[kth])) {
      EXPECT_TRUE(std::isnan(pivot)) << "row " << r;
    } else {
      EXPECT_EQ(pivot, row[kth]) << "row " << r;
    }
    for (int k = 0; k < n; ++k) {
      if (k < kth) {
        EXPECT_FALSE(nan_last(pivot, got[k])) << "row " << r << " at " << k;
      } else if (k > kth) {
        EXPECT_FALSE(nan_last(got[k], pivot)) << "row " << r << " at " << k;
      }
    }
    std::sort(got.begin(), got.end(), nan_last);
    for (int k = 0; k < n; ++k) {
      if (!std::isnan(row[k])) {
        EXPECT_EQ(got[k], row[k]) << "row " << r << ": not a permutation";
      }
    }
  }
}

TEST(PartitionFixtures, HavePartitionProperty) {
  auto cases = ops_cases("argpartition");
  ASSERT_EQ(cases.size(), 1u);
  auto& c = cases[0];
  const array x = fixture_array(c["inputs"]["x"]);
  const int kth = c["args"]["kth"];
  const int axis = c["args"]["axis"];
  const auto xv = values<float>(x);
  // MLX's own output has the property (checks the checker), and so does ours.
  expect_partitioned(xv, values<float>(fixture_array(c["outputs"]["partition"])), 4, 11, kth);
  expect_partitioned(xv, values<float>(partition(x, kth, axis)), 4, 11, kth);
  const array idx = argpartition(x, kth, axis);
  ASSERT_EQ(idx.dtype(), uint32);
  expect_partitioned(xv, values<float>(take_along_axis(x, idx, axis)), 4, 11, kth);
  // argpartition's indices are a permutation of each row.
  const auto iv = values<uint32_t>(idx);
  for (int r = 0; r < 4; ++r) {
    std::vector<uint32_t> row(iv.begin() + r * 11, iv.begin() + (r + 1) * 11);
    std::sort(row.begin(), row.end());
    for (uint32_t k = 0; k < 11; ++k) {
      ASSERT_EQ(row[k], k);
    }
  }
}

TEST(Partition, RandomizedRowsWithNanAndNegativeKth) {
  auto v = random_values(16 * 37, -10, 10, 5);
  for (size_t i = 0; i < v.size(); i += 7) {
    v[i] = NAN;
  }
  const array x = make_array(v, {16, 37}, float32);
  const auto xv = values<float>(x);
  for (int kth : {0, 5, 36, -1, -30}) {
    const int k = kth < 0 ? kth + 37 : kth;
    expect_partitioned(xv, values<float>(partition(x, kth, 1)), 16, 37, k);
    expect_partitioned(xv, values<float>(take_along_axis(x, argpartition(x, kth, 1), 1)), 16, 37,
                       k);
  }
  // Along axis 0 (strided lines) via the transpose.
  const array xt = transpose(x);
  expect_partitioned(xv, values<float>(transpose(partition(xt, 3, 0))), 16, 37, 3);
}

TEST(Partition, FlattenedIntegersAndErrors) {
  const array x = reshape(array({5, 1, 4, 2, 3, 0}), {2, 3});
  auto p = values<int32_t>(partition(x, 2));
  EXPECT_EQ(p[2], 2);
  for (int k = 0; k < 2; ++k) {
    EXPECT_LT(p[k], 2);
  }
  for (int k = 3; k < 6; ++k) {
    EXPECT_GT(p[k], 2);
  }
  EXPECT_THROW(partition(x, 3, 1), std::invalid_argument);
  EXPECT_THROW(partition(x, -4, 1), std::invalid_argument);
  EXPECT_THROW(argpartition(x, 0, 2), std::invalid_argument);
}

TEST(Topk, LargestKAlongAxis) {
  const array x = array({3.f, 9.f, 1.f, 7.f, 5.f, 8.f, 2.f, 6.f}, {2, 4});
  auto t = values<float>(sort(topk(x, 2, 1), 1));
  EXPECT_EQ(t, (std::vector<float>{7, 9, 6, 8}));
  auto flat = values<float>(sort(topk(x, 3)));
  EXPECT_EQ(flat, (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(topk(x, 0, 1).shape(), (Shape{2, 0}));
  EXPECT_EQ(values<float>(topk(x, 4, 1)), values<float>(x));
  EXPECT_THROW(topk(x, 5, 1), std::invalid_argument);
  EXPECT_THROW(topk(x, -1, 1), std::invalid_argument);
}

TEST(SearchSorted, LeftRightNanAndPromotion) {
  const array seq = array({1.f, 2.f, 2.f, 4.f, NAN});
  const array v = array({0.f, 2.f, 3.f, 4.f, 5.f, NAN});
  expect_values<uint32_t>(searchsorted(seq, v), {6}, uint32, {0, 1, 3, 3, 4, 4});
  expect_values<uint32_t>(searchsorted(seq, v, "right"), {6}, uint32, {0, 3, 3, 4, 4, 5});
  // Integer sequence, float values: both promote to float32.
  expect_values<uint32_t>(searchsorted(array({10, 20, 30}), array({15.5f, 30.f}, {2, 1})), {2, 1},
                          uint32, {1, 2});
  // Against std::lower_bound / upper_bound on random data.
  auto sv = random_values(1000, -5, 5, 8);
  std::sort(sv.begin(), sv.end());
  auto qv = random_values(500, -6, 6, 9);
  const auto left = values<uint32_t>(
      searchsorted(array(sv.begin(), {1000}, float64), array(qv.begin(), {500}, float64)));
  const auto right = values<uint32_t>(
      searchsorted(array(sv.begin(), {1000}, float64), array(qv.begin(), {500}, float64), "right"));
  for (size_t i = 0; i < qv.size(); ++i) {
    ASSERT_EQ(left[i], std::lower_bound(sv.begin(), sv.end(), qv[i]) - sv.begin());
    ASSERT_EQ(right[i], std::upper_bound(sv.begin(), sv.end(), qv[i]) - sv.begin());
  }
  EXPECT_THROW(searchsorted(seq, v, "middle"), std::invalid_argument);
  EXPECT_THROW(searchsorted(reshape(seq, {5, 1}), v), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
