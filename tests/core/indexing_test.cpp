// gather, take, take_along_axis, scatter*, put_along_axis, scatter_add_axis and
// masked_scatter: MLX fixtures, naive references and every error path.
#include <gtest/gtest.h>

#include <limits>
#include <numeric>

#include "fixture_index.h"

namespace mlxcpp::test {
namespace {

array load_fixture(const std::string& name) {
  return load(fixture("core/ops/" + name));
}

void expect_same(const array& got, const array& expected) {
  ASSERT_EQ(got.shape(), expected.shape());
  ASSERT_EQ(got.dtype(), expected.dtype());
  EXPECT_TRUE(array_equal(got, expected).item<bool>());
}

// ------------------------------------------------------------------- take

TEST(Take, MatchesMlxFixturesWithNegativeIndices) {
  const array x = load_fixture("take_x.npy");
  const array idx = load_fixture("take_idx.npy");
  expect_same(take(x, idx, 0), load_fixture("take_neg_axis0_y.npy"));
  expect_same(take(x, idx, 1), load_fixture("take_neg_axis1_y.npy"));
  expect_same(take(x, load_fixture("take_flat_idx.npy")), load_fixture("take_neg_flat_y.npy"));
}

TEST(Take, EveryDtypeAlongEveryAxisMatchesNaive) {
  const Shape shape{4, 5, 3};
  const auto v = random_values(60, -50, 50, 3);
  const std::vector<int64_t> idx_values{2, -1, 0, 1, -3, 1};
  for (Dtype dt : all_dtypes()) {
    const array x = make_array(v, shape, dt);
    const auto xv = values<double>(x);
    for (int axis = 0; axis < 3; ++axis) {
      const array idx = array(idx_values.begin(), {2, 3}, int64);
      const array y = take(x, idx, axis);
      Shape expected_shape = shape;
      expected_shape.erase(expected_shape.begin() + axis);
      expected_shape.insert(expected_shape.begin() + axis, {2, 3});
      ASSERT_EQ(y.shape(), expected_shape) << dtype_name(dt);
      ASSERT_EQ(y.dtype(), dt);
      const auto yv = values<double>(y);
      for (size_t i = 0; i < yv.size(); ++i) {
        auto pos = unravel(static_cast<int64_t>(i), expected_shape);
        int64_t j = idx_values[pos[axis] * 3 + pos[axis + 1]];
        std::vector<int> src(pos.begin(), pos.begin() + axis);
        src.push_back(static_cast<int>(j < 0 ? j + shape[axis] : j));
        src.insert(src.end(), pos.begin() + axis + 2, pos.end());
        const int64_t flat = (src[0] * 5 + src[1]) * 3 + src[2];
        ASSERT_EQ(yv[i], xv[flat]) << dtype_name(dt) << " axis " << axis << " at " << i;
      }
    }
  }
}

TEST(Take, IndexDtypesAndStridedSource) {
  const array x = reshape(arange(12.0f), {3, 4});
  const array xt = transpose(x);  // [4, 3], not row-major
  for (Dtype dt : {uint8, uint16, uint32, uint64, int8, int16, int32, int64}) {
    const array idx = astype(array({2, 0}), dt);
    expect_values<float>(take(xt, idx, 0), {2, 3}, float32, {2, 6, 10, 0, 4, 8});
    expect_values<float>(take(xt, idx, 1), {4, 2}, float32, {8, 0, 9, 1, 10, 2, 11, 3});
  }
}

TEST(Take, ScalarIndexArrayRemovesTheAxis) {
  const array x = reshape(arange(6), {2, 3});
  expect_values<int32_t>(take(x, array(-1), 1), {2}, int32, {2, 5});
  expect_values<int32_t>(take(x, array(1), 0), {3}, int32, {3, 4, 5});
}

TEST(Take, IntIndexIsCheckedAtCallTime) {
  const array x = reshape(arange(6), {2, 3});
  expect_values<int32_t>(take(x, 2, 1), {2}, int32, {2, 5});
  expect_values<int32_t>(take(x, -3, 1), {2}, int32, {0, 3});
  expect_values<int32_t>(take(x, -1), {}, int32, {5});
  expect_invalid([&] { take(x, 3, 1); }, "Index 3 is out of bounds for axis 1 with size 3");
  expect_invalid([&] { take(x, -4, 1); }, "Index -4 is out of bounds");
  expect_invalid([&] { take(x, 0, 2); }, "axis");
}

TEST(Take, EmptyIndicesGiveEmptyResult) {
  const array x = reshape(arange(6), {2, 3});
  array y = take(x, zeros({0}, int32), 1);
  EXPECT_EQ(y.shape(), (Shape{2, 0}));
  y.eval();
  expect_invalid([&] { take(zeros({2, 0}), array({0}), 1); }, "size 0");
}

TEST(Take, OutOfBoundsIndexThrowsFromEval) {
  const array x = arange(5);
  array y = take(x, array({1, 5}), 0);
  expect_invalid([&] { y.eval(); }, "Index 5 is out of bounds for axis 0 with size 5");
  expect_invalid([&] { take(x, array({-6}), 0).eval(); }, "Index -6");
  expect_invalid([&] { take(x, array({std::numeric_limits<uint64_t>::max()}), 0).eval(); },
                 "out of bounds");
}

TEST(Take, RejectsNonIntegerIndices) {
  const array x = arange(5);
  expect_invalid([&] { take(x, array({1.0f}), 0); }, "Indices must be integers");
  expect_invalid([&] { take(x, array({true}), 0); }, "Boolean indices");
}

// ----------------------------------------------------------- take_along_axis

TEST(TakeAlongAxis, MatchesMlxFixture) {
  expect_same(take_along_axis(load_fixture("tal_x.npy"), load_fixture("tal_idx.npy"), 1),
              load_fixture("take_along_axis_neg_y.npy"));
}

TEST(TakeAlongAxis, BroadcastsOtherDimensions) {
  const array x = reshape(arange(12), {3, 4});
  // Indices [1, 2] broadcast over the 3 rows.
  expect_values<int32_t>(take_along_axis(x, array({3, -4}, {1, 2}), 1), {3, 2}, int32,
                         {3, 0, 7, 4, 11, 8});
  // Along axis 0 with a [2, 1] index broadcast over the columns.
  expect_values<int32_t>(take_along_axis(x, array({2, 0}, {2, 1}), 0), {2, 4}, int32,
                         {8, 9, 10, 11, 0, 1, 2, 3});
}

TEST(TakeAlongAxis, ArgsortRoundTrip) {
  const array x = array({3.f, 1.f, 2.f, 9.f, 7.f, 8.f}, {2, 3});
  expect_values<float>(take_along_axis(x, argsort(x, 1), 1), {2, 3}, float32, {1, 2, 3, 7, 8, 9});
}

TEST(TakeAlongAxis, Errors) {
  const array x = reshape(arange(6), {2, 3});
  expect_invalid([&] { take_along_axis(x, array({0}), 1); }, "dimensions");
  expect_invalid([&] { take_along_axis(x, array({0}, {1, 1}), 2); }, "axis");
  expect_invalid([&] { take_along_axis(x, array({0.5f}, {1, 1}), 1); }, "integers");
  expect_invalid(
      [&] {
        take_along_axis(x, array({3}, {1, 1}), 1).eval();
      },
      "Index 3 is out of bounds for axis 1 with size 3");
}

// ------------------------------------------------------------------ gather

TEST(Gather, TwoIndexArraysWithSlicesMatchNaive) {
  const Shape shape{4, 5, 6};
  const array x = reshape(arange(120), shape);
  const std::vector<int> i0{0, 3, -1};
  const std::vector<int> i2{4, 0, -2};
  const array y = gather(x, {array(i0.begin(), {3}), array(i2.begin(), {3})}, {0, 2}, {1, 5, 2});
  ASSERT_EQ(y.shape(), (Shape{3, 1, 5, 2}));
  const auto yv = values<int32_t>(y);
  for (int k = 0; k < 3; ++k) {
    const int a = (i0[k] + 4) % 4;
    const int c = (i2[k] + 6) % 6;
    for (int j = 0; j < 5; ++j) {
      for (int t = 0; t < 2; ++t) {
        EXPECT_EQ(yv[(k * 5 + j) * 2 + t], (a * 5 + j) * 6 + c + t);
      }
    }
  }
}

TEST(Gather, BroadcastsIndexArraysAndReadsStridedSource) {
  const array x = transpose(reshape(arange(12), {3, 4}));  // [4, 3]: x[i][j] = j * 4 + i
  const array rows = array({0, 3}, {2, 1});
  const array cols = array({2, 0, 1}, {1, 3});
  const array y = gather(x, {rows, cols}, {0, 1}, {1, 1});
  ASSERT_EQ(y.shape(), (Shape{2, 3, 1, 1}));
  expect_values<int32_t>(reshape(y, {2, 3}), {2, 3}, int32, {8, 0, 4, 11, 3, 7});
}

TEST(Gather, NoIndicesTakesTheLeadingSlice) {
  const array x = reshape(arange(6), {2, 3});
  expect_values<int32_t>(gather(x, std::vector<array>{}, std::vector<int>{}, {1, 2}), {1, 2}, int32,
                         {0, 1});
}

TEST(Gather, SliceMustFitAfterTheStart) {
  const array x = arange(5);
  expect_values<int32_t>(gather(x, array({3}), 0, {2}), {1, 2}, int32, {3, 4});
  expect_invalid([&] { gather(x, array({4}), 0, {2}).eval(); },
                 "Index 4 on axis 0 (size 5) does not start a slice of size 2");
}

TEST(Gather, ArgumentErrors) {
  const array x = reshape(arange(6), {2, 3});
  const std::vector<array> one{array({0})};
  const std::vector<array> two{array({0}), array({0})};
  const std::vector<array> three{array({0}), array({0}), array({0})};
  using axes = std::vector<int>;
  expect_invalid([&] { gather(x, two, axes{0, 0}, {1, 1}); }, "Repeated axes");
  expect_invalid([&] { gather(x, one, axes{2}, {1, 1}); }, "do not match");
  expect_invalid([&] { gather(x, one, axes{-1}, {1, 1}); }, "do not match");
  expect_invalid([&] { gather(x, two, axes{0}, {1, 1}); }, "index arrays for 1 axes");
  expect_invalid([&] { gather(x, three, axes{0, 1, 2}, {1, 1}); }, "Too many index arrays");
  expect_invalid([&] { gather(x, one, axes{0}, {1}); }, "slice sizes");
  expect_invalid([&] { gather(x, one, axes{0}, {1, 4}); }, "Slice sizes must be in");
  expect_invalid([&] { gather(x, std::vector<array>{array({true})}, axes{0}, {1, 1}); }, "Boolean");
}

// ------------------------------------------------------------------ scatter

TEST(Scatter, WritesSlicesAndLastRepeatWins) {
  const array x = zeros({4, 3}, int32);
  const array idx = array({1, 3, 1});
  const array upd = reshape(arange(1, 10), {3, 1, 3});
  expect_values<int32_t>(scatter(x, idx, upd, 0), {4, 3}, int32,
                         {0, 0, 0, 7, 8, 9, 0, 0, 0, 4, 5, 6});
}

TEST(Scatter, ReducingModesCombineRepeats) {
  const array x = array({1.f, 2.f, 3.f, 4.f});
  const array idx = array({0, 2, 0, -1});
  const array upd = array({5.f, -1.f, 7.f, 0.5f}, {4, 1});
  expect_values<float>(scatter_add(x, idx, upd, 0), {4}, float32, {13, 2, 2, 4.5f});
  expect_values<float>(scatter_prod(x, idx, upd, 0), {4}, float32, {35, 2, -3, 2});
  expect_values<float>(scatter_max(x, idx, upd, 0), {4}, float32, {7, 2, 3, 4});
  expect_values<float>(scatter_min(x, idx, upd, 0), {4}, float32, {1, 2, -1, 0.5f});
  expect_values<float>(scatter(x, idx, upd, 0), {4}, float32, {7, 2, -1, 0.5f});
}

TEST(Scatter, EveryDtypeAddMatchesNaive) {
  const std::vector<int32_t> idx_values{2, 0, 2, 1, -3};
  for (Dtype dt : all_dtypes()) {
    if (dt == bool_) {
      continue;
    }
    const array x = make_array({1, 2, 3}, {3}, dt);
    const array upd = make_array({1, 2, 3, 4, 5}, {5, 1}, dt);
    // Repeats: 0 gets 2 + 5, 1 gets 4, 2 gets 1 + 3 (all exact in every dtype).
    expect_close(scatter_add(x, array(idx_values.begin(), {5}), upd, 0), {8, 6, 7}, 0.0);
  }
  expect_values<bool>(scatter_add(array({false, false}), array({1}), array({true}, {1, 1}), 0), {2},
                      bool_, {false, true});
}

TEST(Scatter, MultipleAxesWithBlocks) {
  const array x = zeros({3, 4, 2}, float32);
  const array i0 = array({0, 2});
  const array i1 = array({1, 2});
  const array upd = reshape(arange(1.f, 9.f), {2, 1, 2, 2});
  const auto y = values<float>(scatter(x, {i0, i1}, upd, {0, 1}));
  std::vector<float> expected(24, 0.f);
  // Block k lands at [i0[k], i1[k]:i1[k]+2, 0:2].
  for (int k = 0; k < 2; ++k) {
    const int a = k == 0 ? 0 : 2;
    const int b = k == 0 ? 1 : 2;
    for (int j = 0; j < 2; ++j) {
      for (int t = 0; t < 2; ++t) {
        expected[(a * 4 + b + j) * 2 + t] = static_cast<float>(k * 4 + j * 2 + t + 1);
      }
    }
  }
  EXPECT_EQ(y, expected);
}

TEST(Scatter, BadIndexThrowsAndLeavesTheSourceIntact) {
  const array x = array({1, 2, 3});
  array y = scatter(x, array({0, 3}), array({9, 9}, {2, 1}), 0);
  expect_invalid([&] { y.eval(); }, "Index 3 is out of bounds for axis 0 with size 3");
  expect_values<int32_t>(x, {3}, int32, {1, 2, 3});
}

TEST(Scatter, ArgumentErrors) {
  const array x = zeros({2, 3});
  expect_invalid([&] { scatter(x, array({0}), zeros({1, 3}), 0); }, "dimensions do not match");
  expect_invalid([&] { scatter(x, array({0}), zeros({2, 1, 3}), 0); }, "do not fit");
  expect_invalid([&] { scatter(x, array({0}), zeros({1, 1, 4}), 0); }, "too large");
  expect_invalid([&] { scatter(x, array({0.f}), zeros({1, 1, 3}), 0); }, "integers");
  expect_invalid(
      [&] {
        scatter(x, {array({0}), array({0})}, zeros({1, 1, 1}), {1, 1});
      },
      "Repeated axes");
}

// ------------------------------------------------- put_along_axis and friends

TEST(PutAlongAxis, WritesAndAddsAlongTheAxis) {
  const array x = zeros({2, 3}, int32);
  const array idx = array({2, 0, 1, 1}, {2, 2});
  const array v = array({5, 6, 7, 8}, {2, 2});
  expect_values<int32_t>(put_along_axis(x, idx, v, 1), {2, 3}, int32, {6, 0, 5, 0, 8, 0});
  expect_values<int32_t>(scatter_add_axis(x, idx, v, 1), {2, 3}, int32, {6, 0, 5, 0, 15, 0});
  // A scalar value broadcasts to the indices; negative indices count from the end.
  expect_values<int32_t>(put_along_axis(x, array({-1}, {1, 1}), array(4), 1), {2, 3}, int32,
                         {0, 0, 4, 0, 0, 4});
}

TEST(PutAlongAxis, InverseOfTakeAlongAxisForArgsort) {
  const array x = array({0.3f, 0.1f, 0.2f, 0.9f, 0.7f, 0.8f}, {2, 3});
  const array order = argsort(x, 1);
  const array sorted = take_along_axis(x, order, 1);
  expect_same(put_along_axis(zeros_like(x), order, sorted, 1), x);
}

TEST(PutAlongAxis, Errors) {
  const array x = zeros({2, 3});
  expect_invalid([&] { put_along_axis(x, array({0}), array(1.f), 1); }, "dimensions");
  expect_invalid([&] { scatter_add_axis(x, array({0.f}, {1, 1}), array(1.f), 1); }, "integers");
  expect_invalid(
      [&] {
        put_along_axis(x, array({3}, {1, 1}), array(1.f), 1).eval();
      },
      "[put_along_axis] Index 3 is out of bounds");
  expect_invalid(
      [&] {
        put_along_axis(x, array({0}, {1, 1}), zeros({2, 1, 1}), 1);
      },
      "more dimensions");
}

// ----------------------------------------------------------- masked_scatter

TEST(MaskedScatter, FillsSelectedPositionsInOrder) {
  const array x = reshape(arange(6), {2, 3});
  const array mask = array({true, false, true, false, true, false}, {2, 3});
  expect_values<int32_t>(masked_scatter(x, mask, array({10, 20, 30, 40})), {2, 3}, int32,
                         {10, 1, 20, 3, 30, 5});
  expect_values<int32_t>(masked_scatter(x, mask, array(-1)), {2, 3}, int32, {-1, 1, -1, 3, -1, 5});
}

TEST(MaskedScatter, LeadingMaskSelectsRows) {
  const array x = reshape(arange(6), {3, 2});
  const array mask = array({false, true, true});
  expect_values<int32_t>(masked_scatter(x, mask, array({7, 8, 9, 10}, {2, 2})), {3, 2}, int32,
                         {0, 1, 7, 8, 9, 10});
  // A single row broadcasts to every selected row.
  expect_values<int32_t>(masked_scatter(x, mask, array({7, 8})), {3, 2}, int32, {0, 1, 7, 8, 7, 8});
}

TEST(MaskedScatter, Errors) {
  const array x = reshape(arange(6), {2, 3});
  const array mask = array({true, true, true, false, false, false}, {2, 3});
  expect_invalid(
      [&] {
        masked_scatter(x, mask, array({1, 2})).eval();
      },
      "The mask selects 3 elements but only 2 values were given");
  expect_invalid([&] { masked_scatter(x, astype(mask, int32), array(1)); }, "boolean");
  expect_invalid(
      [&] {
        masked_scatter(x, array({true, false, true}), array(1));
      },
      "leading dimensions");
  expect_invalid(
      [&] {
        masked_scatter(x, array({true, false}, {2, 1, 1}), array(1));
      },
      "leading dimensions");
  expect_invalid([&] { masked_scatter(x, mask, zeros({1, 1})); }, "broadcast");
}

}  // namespace
}  // namespace mlxcpp::test
