// Shape ops: reshape, flatten, squeeze, expand_dims, transpose, broadcast,
// concatenate, stack, split, repeat, tile, pad, roll, diagonal, view, ...
#include <numeric>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

TEST(Shape, Reshape) {
  auto a = arange(12);
  expect_values<int>(reshape(a, {3, -1}), {3, 4}, int32, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  EXPECT_EQ(reshape(a, {2, 2, 3}).shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(reshape(array(5), {1, 1}).shape(), (Shape{1, 1}));
  EXPECT_EQ(reshape(zeros({0, 4}), {4, 0}).shape(), (Shape{4, 0}));
  // A view when possible (row-major input) ...
  auto v = reshape(a, {3, 4});
  v.eval();
  a.eval();
  EXPECT_EQ(v.data<void>(), a.data<void>());
  // ... also for a transposed array whose merged axes stay contiguous ...
  auto t = transpose(reshape(arange(24), {2, 3, 4}), {1, 0, 2});  // (3, 2, 4)
  auto r = reshape(t, {3, 8});
  expect_values<int>(r, {3, 8}, int32, {0,  1,  2,  3,  12, 13, 14, 15, 4,  5,  6,  7,
                                        16, 17, 18, 19, 8,  9,  10, 11, 20, 21, 22, 23});
  // ... and a copy when not.
  auto c = reshape(transpose(reshape(arange(6), {2, 3})), {6});
  expect_values<int>(c, {6}, int32, {0, 3, 1, 4, 2, 5});
  auto b = reshape(broadcast_to(array({1, 2}), {3, 2}), {6});
  expect_values<int>(b, {6}, int32, {1, 2, 1, 2, 1, 2});
  EXPECT_THROW(reshape(a, {5, -1}), std::invalid_argument);
  EXPECT_THROW(reshape(a, {-1, -1}), std::invalid_argument);
  EXPECT_THROW(reshape(a, {-2, -6}), std::invalid_argument);
  EXPECT_THROW(reshape(zeros({0}), {-1, 0}), std::invalid_argument);
  EXPECT_THROW(reshape(a, {1 << 30, 1 << 30, 1 << 30, 0, -1}), std::invalid_argument);
}

TEST(Shape, FlattenUnflatten) {
  auto a = reshape(arange(24), {2, 3, 4});
  EXPECT_EQ(flatten(a).shape(), Shape{24});
  EXPECT_EQ(flatten(a, 1, 2).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(a, 0, -2).shape(), (Shape{6, 4}));
  EXPECT_EQ(flatten(array(3)).shape(), Shape{1});
  EXPECT_THROW(flatten(a, 2, 1), std::invalid_argument);
  EXPECT_THROW(flatten(a, 3, 3), std::invalid_argument);
  EXPECT_EQ(unflatten(arange(12), 0, {3, -1}).shape(), (Shape{3, 4}));
  EXPECT_EQ(unflatten(a, 1, {3, 1}).shape(), (Shape{2, 3, 1, 4}));
  EXPECT_THROW(unflatten(arange(12), 0, {5, -1}), std::invalid_argument);
  EXPECT_THROW(unflatten(arange(12), 1, {12}), std::invalid_argument);
  EXPECT_THROW(unflatten(arange(12), 0, {}), std::invalid_argument);
  expect_values<int>(flatten(transpose(reshape(arange(4), {2, 2}))), {4}, int32, {0, 2, 1, 3});
}

TEST(Shape, SqueezeExpandDims) {
  auto a = zeros({1, 3, 1, 2});
  EXPECT_EQ(squeeze(a).shape(), (Shape{3, 2}));
  EXPECT_EQ(squeeze(a, 0).shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(squeeze(a, {-2, 0}).shape(), (Shape{3, 2}));
  EXPECT_THROW(squeeze(a, 1), std::invalid_argument);
  EXPECT_THROW(squeeze(a, {0, 0}), std::invalid_argument);
  EXPECT_THROW(squeeze(a, 4), std::invalid_argument);
  auto b = arange(3);
  EXPECT_EQ(expand_dims(b, 0).shape(), (Shape{1, 3}));
  EXPECT_EQ(expand_dims(b, -1).shape(), (Shape{3, 1}));
  EXPECT_EQ(expand_dims(b, {0, 2}).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(expand_dims(array(1), {0, 1}).shape(), (Shape{1, 1}));
  EXPECT_THROW(expand_dims(b, 3), std::invalid_argument);
  EXPECT_THROW(expand_dims(b, {1, 1}), std::invalid_argument);
  expect_values<int>(expand_dims(b, 1), {3, 1}, int32, {0, 1, 2});
}

TEST(Shape, TransposeSwapMove) {
  auto a = reshape(arange(6), {2, 3});
  expect_values<int>(transpose(a), {3, 2}, int32, {0, 3, 1, 4, 2, 5});
  auto b = reshape(arange(24), {2, 3, 4});
  EXPECT_EQ(transpose(b, {2, 0, 1}).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(transpose(b, {-1, 0, 1}).shape(), (Shape{4, 2, 3}));
  expect_values<int>(slice(transpose(b, {2, 0, 1}), {1, 1, 2}, {2, 2, 3}), {1, 1, 1}, int32, {21});
  EXPECT_EQ(swapaxes(b, 0, 2).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(moveaxis(b, 0, -1).shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(moveaxis(b, 2, 0).shape(), (Shape{4, 2, 3}));
  EXPECT_THROW(transpose(b, {0, 1}), std::invalid_argument);
  EXPECT_THROW(transpose(b, {0, 1, 1}), std::invalid_argument);
  EXPECT_THROW(transpose(b, {0, 1, 3}), std::invalid_argument);
  EXPECT_THROW(swapaxes(b, 0, 3), std::invalid_argument);
  EXPECT_THROW(moveaxis(b, -4, 0), std::invalid_argument);
}

TEST(Shape, BroadcastTo) {
  auto a = array({1, 2, 3});
  expect_values<int>(broadcast_to(a, {2, 3}), {2, 3}, int32, {1, 2, 3, 1, 2, 3});
  expect_values<int>(broadcast_to(reshape(a, {3, 1}), {3, 2}), {3, 2}, int32, {1, 1, 2, 2, 3, 3});
  expect_values<int>(broadcast_to(array(7), {2}), {2}, int32, {7, 7});
  EXPECT_EQ(broadcast_to(a, {0, 3}).size(), 0u);
  EXPECT_THROW(broadcast_to(a, {2, 2}), std::invalid_argument);
  EXPECT_THROW(broadcast_to(a, {3, -1}), std::invalid_argument);
  EXPECT_THROW(broadcast_to(zeros({2, 3}), {3}), std::invalid_argument);
  auto outs = broadcast_arrays({array({1, 2}), reshape(array({3, 4, 5}), {3, 1})});
  EXPECT_EQ(outs[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(outs[1].shape(), (Shape{3, 2}));
  EXPECT_THROW(broadcast_arrays({arange(2), arange(3)}), std::invalid_argument);
  EXPECT_EQ(broadcast_shapes({5, 1, 3}, {4, 1}), (Shape{5, 4, 3}));
}

TEST(Shape, ConcatenateAndStack) {
  auto a = reshape(arange(4), {2, 2});
  auto b = reshape(arange(4, 6), {1, 2});
  expect_values<int>(concatenate({a, b}), {6}, int32, {0, 1, 2, 3, 4, 5});
  expect_values<int>(concatenate({a, b}, 0), {3, 2}, int32, {0, 1, 2, 3, 4, 5});
  expect_values<int>(concatenate({a, transpose(a)}, 1), {2, 4}, int32, {0, 1, 0, 2, 2, 3, 1, 3});
  // Mixed dtypes promote.
  auto m = concatenate({array({1}), array({1.5f})});
  expect_values<float>(m, {2}, float32, {1, 1.5f});
  expect_values<int>(concatenate({zeros({0, 2}, int32), b}, 0), {1, 2}, int32, {4, 5});
  expect_values<int>(stack({array({1, 2}), array({3, 4})}), {2, 2}, int32, {1, 2, 3, 4});
  expect_values<int>(stack({array({1, 2}), array({3, 4})}, 1), {2, 2}, int32, {1, 3, 2, 4});
  expect_values<int>(stack({array({1, 2}), array({3, 4})}, -1), {2, 2}, int32, {1, 3, 2, 4});
  EXPECT_THROW(concatenate({}), std::invalid_argument);
  EXPECT_THROW(concatenate({a, b}, 1), std::invalid_argument);
  EXPECT_THROW(concatenate({a, arange(2)}, 0), std::invalid_argument);
  EXPECT_THROW(concatenate({a, a}, 2), std::invalid_argument);
  EXPECT_THROW(stack({arange(2), arange(3)}), std::invalid_argument);
  EXPECT_THROW(stack({}), std::invalid_argument);
}

TEST(Shape, SplitAndUnstack) {
  auto a = arange(6);
  auto parts = split(a, 3);
  ASSERT_EQ(parts.size(), 3u);
  expect_values<int>(parts[2], {2}, int32, {4, 5});
  auto uneven = split(a, Shape{1, 4});
  expect_values<int>(uneven[0], {1}, int32, {0});
  expect_values<int>(uneven[1], {3}, int32, {1, 2, 3});
  expect_values<int>(uneven[2], {2}, int32, {4, 5});
  // Unsorted or out-of-range indices clamp like slices.
  auto odd = split(a, Shape{4, 2, 10});
  ASSERT_EQ(odd.size(), 4u);
  EXPECT_EQ(odd[1].size(), 0u);
  expect_values<int>(odd[2], {4}, int32, {2, 3, 4, 5});
  EXPECT_EQ(odd[3].size(), 0u);
  auto m = reshape(arange(6), {2, 3});
  auto cols = split(m, 3, 1);
  expect_values<int>(cols[1], {2, 1}, int32, {1, 4});
  auto rows = unstack(m);
  ASSERT_EQ(rows.size(), 2u);
  expect_values<int>(rows[1], {3}, int32, {3, 4, 5});
  auto u = unstack(m, 1);
  expect_values<int>(u[2], {2}, int32, {2, 5});
  EXPECT_THROW(split(a, 4), std::invalid_argument);
  EXPECT_THROW(split(a, 0), std::invalid_argument);
  EXPECT_THROW(split(a, 2, 1), std::invalid_argument);
}

TEST(Shape, RepeatAndTile) {
  expect_values<int>(repeat(array({1, 2}), 3), {6}, int32, {1, 1, 1, 2, 2, 2});
  auto m = reshape(arange(4), {2, 2});
  expect_values<int>(repeat(m, 2, 0), {4, 2}, int32, {0, 1, 0, 1, 2, 3, 2, 3});
  expect_values<int>(repeat(m, 2, 1), {2, 4}, int32, {0, 0, 1, 1, 2, 2, 3, 3});
  EXPECT_EQ(repeat(m, 0, 1).shape(), (Shape{2, 0}));
  EXPECT_THROW(repeat(m, -1, 0), std::invalid_argument);
  expect_values<int>(tile(array({1, 2}), {3}), {6}, int32, {1, 2, 1, 2, 1, 2});
  expect_values<int>(tile(array({1, 2}), {2, 1}), {2, 2}, int32, {1, 2, 1, 2});
  expect_values<int>(tile(m, {1, 2}), {2, 4}, int32, {0, 1, 0, 1, 2, 3, 2, 3});
  EXPECT_THROW(tile(m, {-1}), std::invalid_argument);
}

TEST(Shape, PadModes) {
  auto a = array({1, 2, 3});
  expect_values<int>(pad(a, 2), {7}, int32, {0, 0, 1, 2, 3, 0, 0});
  expect_values<int>(pad(a, {1, 2}, array(9)), {6}, int32, {9, 1, 2, 3, 9, 9});
  expect_values<int>(pad(a, 2, array(0), "edge"), {7}, int32, {1, 1, 1, 2, 3, 3, 3});
  expect_values<int>(pad(a, 2, array(0), "reflect"), {7}, int32, {3, 2, 1, 2, 3, 2, 1});
  expect_values<int>(pad(a, 2, array(0), "symmetric"), {7}, int32, {2, 1, 1, 2, 3, 3, 2});
  expect_values<int>(pad(a, 5, array(0), "reflect"), {13}, int32,
                     {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2});
  auto m = reshape(arange(4), {2, 2});
  expect_values<int>(pad(m, {{1, 0}, {0, 1}}), {3, 3}, int32, {0, 0, 0, 0, 1, 0, 2, 3, 0});
  expect_values<int>(pad(m, std::vector<int>{1}, Shape{1}, Shape{1}, array(7)), {2, 4}, int32,
                     {7, 0, 1, 7, 7, 2, 3, 7});
  expect_values<int>(pad(m, 1, array(0), "edge"), {4, 4}, int32,
                     {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3});
  expect_values<float>(
      pad(transpose(astype(m, float32)), 1, array(0.5f)), {4, 4}, float32,
      {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0, 2, 0.5f, 0.5f, 1, 3, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f});
  EXPECT_THROW(pad(a, -1), std::invalid_argument);
  EXPECT_THROW(pad(a, 1, array(0), "wrap"), std::invalid_argument);
  EXPECT_THROW(pad(m, {{1, 1}}), std::invalid_argument);
  EXPECT_THROW(pad(m, std::vector<int>{2}, Shape{1}, Shape{1}), std::invalid_argument);
  EXPECT_THROW(pad(a, 1, array({1, 2})), std::invalid_argument);
  EXPECT_THROW(pad(zeros({0}), 1, array(0), "edge"), std::invalid_argument);
}

TEST(Shape, Roll) {
  auto a = arange(5);
  expect_values<int>(roll(a, 2), {5}, int32, {3, 4, 0, 1, 2});
  expect_values<int>(roll(a, -1), {5}, int32, {1, 2, 3, 4, 0});
  expect_values<int>(roll(a, 12), {5}, int32, {3, 4, 0, 1, 2});
  auto m = reshape(arange(6), {2, 3});
  expect_values<int>(roll(m, 1), {2, 3}, int32, {5, 0, 1, 2, 3, 4});
  expect_values<int>(roll(m, 1, 1), {2, 3}, int32, {2, 0, 1, 5, 3, 4});
  expect_values<int>(roll(m, Shape{1, 1}, std::vector<int>{0, 1}), {2, 3}, int32,
                     {5, 3, 4, 2, 0, 1});
  // -2^31 = +1 (mod 3); the shift is negated in 64 bits, without overflow.
  expect_values<int>(roll(m, std::numeric_limits<int>::min(), 1), {2, 3}, int32,
                     {2, 0, 1, 5, 3, 4});
  EXPECT_THROW(roll(m, 1, 2), std::invalid_argument);
}

TEST(Shape, DiagonalDiagTrace) {
  auto m = reshape(arange(12), {3, 4});
  expect_values<int>(diagonal(m), {3}, int32, {0, 5, 10});
  expect_values<int>(diagonal(m, 1), {3}, int32, {1, 6, 11});
  expect_values<int>(diagonal(m, -1), {2}, int32, {4, 9});
  expect_values<int>(diagonal(m, 10), {0}, int32, {});
  auto c = reshape(arange(24), {2, 3, 4});
  expect_values<int>(diagonal(c, 0, 1, 2), {2, 3}, int32, {0, 5, 10, 12, 17, 22});
  expect_values<int>(diagonal(c, 0, 0, 2), {3, 2}, int32, {0, 13, 4, 17, 8, 21});
  expect_values<int>(diagonal(transpose(m)), {3}, int32, {0, 5, 10});
  expect_values<int>(diag(array({1, 2})), {2, 2}, int32, {1, 0, 0, 2});
  expect_values<int>(diag(array({1, 2}), -1), {3, 3}, int32, {0, 0, 0, 1, 0, 0, 0, 2, 0});
  expect_values<int>(diag(m, 1), {3}, int32, {1, 6, 11});
  expect_values<int>(trace(m), {}, int32, {15});
  expect_values<float>(trace(m, 1, 0, 1, float32), {}, float32, {18});
  EXPECT_THROW(diagonal(arange(3)), std::invalid_argument);
  EXPECT_THROW(diagonal(m, 0, 1, 1), std::invalid_argument);
  EXPECT_THROW(diag(c), std::invalid_argument);
  EXPECT_THROW(trace(arange(3)), std::invalid_argument);
}

TEST(Shape, AtLeastND) {
  EXPECT_EQ(atleast_1d(array(1)).shape(), Shape{1});
  EXPECT_EQ(atleast_2d(arange(3)).shape(), (Shape{1, 3}));
  EXPECT_EQ(atleast_3d(arange(3)).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(atleast_3d(zeros({2, 3})).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(atleast_2d(zeros({2, 3, 4})).shape(), (Shape{2, 3, 4}));
  auto many = atleast_2d(std::vector<array>{array(1), arange(2)});
  EXPECT_EQ(many[1].shape(), (Shape{1, 2}));
}

TEST(Shape, ViewReinterpretsBytes) {
  auto f = array({1.0f, -2.0f});
  expect_values<uint32_t>(view(f, uint32), {2}, uint32, {0x3f800000u, 0xc0000000u});
  auto u8 = view(array({1, 256}, int32), uint8);
  expect_values<int>(u8, {8}, uint8, {1, 0, 0, 0, 0, 1, 0, 0});
  expect_values<int>(view(array({1, 0, 0, 0, 2, 0, 0, 0}, uint8), int32), {2}, int32, {1, 2});
  auto h = view(array({0x3c00, 0xc000}, uint16), float16);
  expect_values<float>(h, {2}, float16, {1.0f, -2.0f});
  // A transposed input of another element size is made dense first.
  auto t = view(transpose(reshape(array({1, 2, 3, 4}, int16), {2, 2})), int32);
  EXPECT_EQ(t.shape(), (Shape{2, 1}));
  expect_values<int>(t, {2, 1}, int32, {1 | (3 << 16), 2 | (4 << 16)});
  // A slice starting mid-element of the wider type is realigned first.
  expect_values<int>(view(slice(arange(0.0, 10.0, int8), {1}, {9}), int16), {4}, int16,
                     {513, 1027, 1541, 2055});
  EXPECT_THROW(view(array({1, 2, 3}, uint8), int32), std::invalid_argument);
  EXPECT_THROW(view(array(1, int32), int8), std::invalid_argument);
}

TEST(Shape, AsStridedChecksBounds) {
  auto a = arange(10);
  expect_values<int>(as_strided(a, {3, 2}, {2, 1}, 1), {3, 2}, int32, {1, 2, 3, 4, 5, 6});
  expect_values<int>(as_strided(a, {4}, {0}, 3), {4}, int32, {3, 3, 3, 3});
  expect_values<int>(as_strided(a, {3}, {-2}, 9), {3}, int32, {9, 7, 5});
  EXPECT_EQ(as_strided(a, {0, 5}, {100, 100}, 1000).size(), 0u);
  EXPECT_THROW(as_strided(a, {3, 2}, {4, 1}, 1), std::invalid_argument);
  EXPECT_THROW(as_strided(a, {3}, {-2}, 3), std::invalid_argument);
  EXPECT_THROW(as_strided(a, {2}, {1}, 9), std::invalid_argument);
  EXPECT_THROW(as_strided(a, {2, 2}, {1}, 0), std::invalid_argument);
  EXPECT_THROW(as_strided(a, {2}, {std::numeric_limits<int64_t>::max()}, 0), std::invalid_argument);
  // On a transposed input the strides count the row-major elements.
  auto t = transpose(reshape(arange(4), {2, 2}));  // [[0,2],[1,3]]
  expect_values<int>(as_strided(t, {2}, {3}, 0), {2}, int32, {0, 3});
}

TEST(Shape, ContiguousCopyStopGradientNumberOfElements) {
  auto t = transpose(reshape(arange(6), {2, 3}));
  auto c = contiguous(t);
  c.eval();
  EXPECT_TRUE(c.flags().row_contiguous);
  expect_values<int>(c, {3, 2}, int32, {0, 3, 1, 4, 2, 5});
  auto cc = contiguous(t, true);
  cc.eval();
  EXPECT_TRUE(cc.flags().col_contiguous);
  expect_values<int>(stop_gradient(arange(3)), {3}, int32, {0, 1, 2});
  expect_values<float>(number_of_elements(zeros({2, 3, 4}), {0, 2}, false, float32), {}, float32,
                       {8});
  expect_values<float>(number_of_elements(zeros({2, 3, 4}), {1}, true, float32), {}, float32,
                       {1.0f / 3});
}

}  // namespace
}  // namespace mlxcpp::test

namespace mlxcpp::test {
namespace {

// Transposing copies take a tiled path (with 8x8 register blocks for 4-byte
// types): check it against index arithmetic for full and ragged tiles.
TEST(Shape, TransposedCopiesOfEveryElementSize) {
  for (Dtype t : {float32, int32, uint32, float16, int8, float64, complex64}) {
    for (Shape shape : {Shape{64, 96}, Shape{33, 70}, Shape{70, 33}, Shape{3, 40, 50}}) {
      int64_t size = 1;
      for (auto d : shape) {
        size *= d;
      }
      auto x = reshape(astype(remainder(arange(0.0, double(size), int64), array(int64_t(97))), t),
                       shape);
      std::vector<int> axes(shape.size());
      std::iota(axes.rbegin(), axes.rend(), 0);
      auto y = contiguous(transpose(x, axes));
      auto xv = values<double>(x);
      auto yv = values<double>(y);
      const Shape tshape = y.shape();
      const auto xst = strides_of(shape);
      for (int64_t i = 0; i < size; ++i) {
        auto idx = unravel(i, tshape);  // idx in the transposed shape
        int64_t src = 0;
        for (size_t d = 0; d < idx.size(); ++d) {
          src += idx[d] * xst[axes[d]];
        }
        ASSERT_EQ(yv[i], xv[src]) << dtype_name(t) << " " << shape.size() << "-d at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace mlxcpp::test
