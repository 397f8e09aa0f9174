// slice, slice_update (static, dynamic and reducing), flip.
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

TEST(Slice, NumpyRules) {
  auto a = arange(10);
  expect_values<int>(slice(a, {2}, {5}), {3}, int32, {2, 3, 4});
  expect_values<int>(slice(a, {-3}, {10}), {3}, int32, {7, 8, 9});
  expect_values<int>(slice(a, {1}, {-1}, {3}), {3}, int32, {1, 4, 7});
  expect_values<int>(slice(a, {8}, {2}, {-2}), {3}, int32, {8, 6, 4});
  expect_values<int>(slice(a, {-1}, {-11}, {-1}), {10}, int32, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  expect_values<int>(slice(a, {20}, {30}), {0}, int32, {});
  expect_values<int>(slice(a, {-20}, {2}), {2}, int32, {0, 1});
  expect_values<int>(slice(a, {5}, {2}), {0}, int32, {});
  expect_values<int>(slice(a, {100}, {-100}, {-4}), {3}, int32, {9, 5, 1});
  auto m = reshape(arange(12), {3, 4});
  expect_values<int>(slice(m, {1, 0}, {3, 4}, {1, 3}), {2, 2}, int32, {4, 7, 8, 11});
  expect_values<int>(slice(transpose(m), {1, 0}, {3, 3}, {1, 2}), {2, 2}, int32, {1, 9, 2, 10});
  // Slicing a slice composes offsets and strides.
  auto s = slice(slice(a, {1}, {10}, {2}), {1}, {4}, {2});  // [1,3,5,7,9] -> [3,7]
  expect_values<int>(s, {2}, int32, {3, 7});
  // The whole array comes back unchanged.
  EXPECT_EQ(slice(a, {0}, {10}).id(), a.id());
  EXPECT_THROW(slice(a, {0}, {10}, {0}), std::invalid_argument);
  EXPECT_THROW(slice(m, {0}, {1}), std::invalid_argument);
}

TEST(Slice, IsAViewOfTheInputBuffer) {
  auto a = arange(10);
  a.eval();
  auto s = slice(a, {3}, {8});
  s.eval();
  EXPECT_EQ(s.data<int32_t>(), a.data<int32_t>() + 3);
}

TEST(Slice, Flip) {
  auto m = reshape(arange(6), {2, 3});
  expect_values<int>(flip(m), {2, 3}, int32, {5, 4, 3, 2, 1, 0});
  expect_values<int>(flip(m, 1), {2, 3}, int32, {2, 1, 0, 5, 4, 3});
  expect_values<int>(flip(m, -2), {2, 3}, int32, {3, 4, 5, 0, 1, 2});
  expect_values<int>(flip(zeros({0}, int32)), {0}, int32, {});
  EXPECT_THROW(flip(m, 2), std::invalid_argument);
}

TEST(SliceUpdate, StaticRanges) {
  auto a = zeros({5}, int32);
  expect_values<int>(slice_update(a, array({7, 8}), Shape{1}, Shape{3}), {5}, int32,
                     {0, 7, 8, 0, 0});
  expect_values<int>(slice_update(a, array(9), {0}, Shape{5}, Shape{2}), {5}, int32,
                     {9, 0, 9, 0, 9});
  expect_values<int>(slice_update(a, array({1, 2}), {4}, Shape{0}, Shape{-3}), {5}, int32,
                     {0, 2, 0, 0, 1});
  auto m = zeros({3, 3}, float32);
  auto u = reshape(array({1.0f, 2.0f, 3.0f, 4.0f}), {2, 2});
  expect_values<float>(slice_update(m, transpose(u), Shape{1, 1}, Shape{3, 3}), {3, 3}, float32,
                       {0, 0, 0, 0, 1, 3, 0, 2, 4});
  // The update is cast to the array's dtype and broadcast.
  expect_values<int>(slice_update(zeros({2, 2}, int32), array(2.7f), Shape{0, 0}, Shape{2, 1}),
                     {2, 2}, int32, {2, 0, 2, 0});
  // A full-array update returns the (cast, broadcast) update.
  expect_values<int>(slice_update(zeros({2}, int32), array(5), Shape{0}, Shape{2}), {2}, int32,
                     {5, 5});
  // The source is not modified.
  auto src = arange(4);
  auto upd = slice_update(src, array(100), Shape{0}, Shape{1});
  expect_values<int>(upd, {4}, int32, {100, 1, 2, 3});
  expect_values<int>(src, {4}, int32, {0, 1, 2, 3});
  EXPECT_THROW(slice_update(a, array({1, 2, 3}), Shape{0}, Shape{2}), std::invalid_argument);
  EXPECT_THROW(slice_update(a, array(1), Shape{0, 0}, Shape{1, 1}), std::invalid_argument);
}

TEST(SliceUpdate, ReducingVariants) {
  auto a = array({1, 2, 3, 4});
  expect_values<int>(slice_update_add(a, array({10, 10}), {1}, {3}), {4}, int32, {1, 12, 13, 4});
  expect_values<int>(slice_update_prod(a, array(3), {0}, {4}, {2}), {4}, int32, {3, 2, 9, 4});
  expect_values<int>(slice_update_max(a, array({5, 0}), {0}, {2}), {4}, int32, {5, 2, 3, 4});
  expect_values<int>(slice_update_min(a, array({0, 5}), {2}, {4}), {4}, int32, {1, 2, 0, 4});
  expect_values<int>(slice_update_add(a, array(1), {0}, {4}), {4}, int32, {2, 3, 4, 5});
  expect_values<float>(slice_update_add(array({0.5f}, float16), array(0.25f), {0}, {1}), {1},
                       float16, {0.75f});
}

TEST(SliceUpdate, DonatesASingleUseSource) {
  auto src = astype(arange(1 << 16), float32);
  src.eval();
  const void* buffer = src.data<void>();
  auto upd = slice_update(src, array(-1.0f), Shape{0}, Shape{1});
  src = array(0.0f);
  upd.eval();
  EXPECT_EQ(upd.data<void>(), buffer);
  EXPECT_EQ(values<float>(upd)[0], -1.0f);
  EXPECT_EQ(values<float>(upd)[5], 5.0f);
}

TEST(DynamicSlice, ArrayStarts) {
  auto m = reshape(arange(12), {3, 4});
  expect_values<int>(slice(m, array({1, 2}), {0, 1}, {2, 2}), {2, 2}, int32, {6, 7, 10, 11});
  expect_values<int>(slice(m, array(2), {1}, {3, 1}), {3, 1}, int32, {2, 6, 10});
  expect_values<int>(slice(m, array({-1}, int64), {0}, {1, 4}), {1, 4}, int32, {8, 9, 10, 11});
  expect_values<int>(slice(m, array({uint8_t(1)}), {-1}, {1, 3}), {1, 3}, int32, {1, 2, 3});
  // Out-of-range starts are an error from eval, never a read outside the array.
  EXPECT_THROW(slice(m, array({3}), {0}, {1, 4}).eval(), std::invalid_argument);
  EXPECT_THROW(slice(m, array({-4}), {0}, {1, 4}).eval(), std::invalid_argument);
  EXPECT_THROW(slice(m, array({uint64_t(1) << 63}), {0}, {1, 4}).eval(), std::invalid_argument);
  // Bad arguments are an error at the call.
  EXPECT_THROW(slice(m, array({1.0f}), {0}, {1, 4}), std::invalid_argument);
  EXPECT_THROW(slice(m, array({1, 1}), {0}, {1, 4}), std::invalid_argument);
  EXPECT_THROW(slice(m, array({1}), {0}, {4, 4}), std::invalid_argument);
  EXPECT_THROW(slice(m, array({1}), {2}, {1, 4}), std::invalid_argument);
  EXPECT_THROW(slice(m, array({1, 1}), {0, 0}, {1, 4}), std::invalid_argument);
}

TEST(DynamicSliceUpdate, ArrayStarts) {
  auto m = zeros({3, 4}, int32);
  expect_values<int>(slice_update(m, reshape(array({1, 2}), {1, 2}), array({2, 1}), {0, 1}), {3, 4},
                     int32, {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0});
  // An update with fewer dimensions covers the leading axes along the given axis only.
  expect_values<int>(slice_update(m, array({5, 6, 7, 8}), array({1}), {0}), {3, 4}, int32,
                     {0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0});
  auto bad = slice_update(m, array({5, 6, 7, 8}), array({3}), {0});
  EXPECT_THROW(bad.eval(), std::invalid_argument);
  EXPECT_THROW(slice_update(m, zeros({5}, int32), array({0}), {0}), std::invalid_argument);
  EXPECT_THROW(slice_update(m, zeros({1, 1, 1}, int32), array({0}), {0}), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
