// array: construction, metadata, item/data, iteration, lazy evaluation.
#include <atomic>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

TEST(Array, ScalarConstruction) {
  array a(3.5f);
  EXPECT_EQ(a.ndim(), 0u);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.dtype(), float32);
  EXPECT_EQ(a.item<float>(), 3.5f);
  EXPECT_EQ(array(true).dtype(), bool_);
  EXPECT_EQ(array(7).dtype(), int32);
  EXPECT_EQ(array(int64_t(7)).dtype(), int64);
  EXPECT_EQ(array(uint32_t(7)).dtype(), uint32);
  EXPECT_EQ(array(2.5).dtype(), float32);  // as MLX: double literals are float32
  EXPECT_EQ(array(2, float16).item<float16_t>().bits_, 0x4000);
  EXPECT_EQ(array(3, bfloat16).dtype(), bfloat16);
  auto c = array(std::complex<float>(1, -2));
  EXPECT_EQ(c.dtype(), complex64);
  EXPECT_EQ(c.item<complex64_t>(), complex64_t(1, -2));
}

TEST(Array, ListAndShapeConstruction) {
  auto a = array({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.strides(), (Strides{3, 1}));
  EXPECT_EQ(a.shape(-1), 3);
  EXPECT_EQ(a.strides(0), 3);
  EXPECT_EQ(a.nbytes(), 24u);
  EXPECT_EQ(a.itemsize(), 4u);
  expect_values<int>(a, {2, 3}, int32, {1, 2, 3, 4, 5, 6});
  auto f = array({1.5f, -2.0f});
  expect_values<float>(f, {2}, float32, {1.5f, -2.0f});
  auto empty = array({});
  EXPECT_EQ(empty.dtype(), float32);
  EXPECT_EQ(empty.size(), 0u);
  auto empty_int = array({}, int16);
  EXPECT_EQ(empty_int.dtype(), int16);
  EXPECT_EQ(empty_int.shape(), Shape{0});
  // Converting constructor: the values are cast to the dtype.
  expect_values<int>(array({1.9f, -1.9f}, int32), {2}, int32, {1, -1});
  expect_values<bool>(array({0, 2}, bool_), {2}, bool_, {false, true});
}

TEST(Array, IteratorConstruction) {
  std::vector<double> v{1, 2, 3, 4};
  auto a = array(v.begin(), {2, 2});
  EXPECT_EQ(a.dtype(), float32);
  expect_values<float>(a, {2, 2}, float32, {1, 2, 3, 4});
  std::vector<int16_t> w{5, 6};
  expect_values<int>(array(w.begin(), {2}), {2}, int16, {5, 6});
}

TEST(Array, BadShapesAreRejected) {
  EXPECT_THROW(array({1, 2, 3}, {2, 2}), std::invalid_argument);
  EXPECT_THROW(zeros({-1, 2}), std::invalid_argument);
  // A shape whose byte size overflows.
  EXPECT_THROW(zeros({1 << 30, 1 << 30, 1 << 30}), std::invalid_argument);
  EXPECT_THROW(array(1.0f).shape(1), std::out_of_range);
}

TEST(Array, ItemChecksSizeAndType) {
  EXPECT_THROW(array({1, 2}).item<int>(), std::invalid_argument);
  EXPECT_THROW(array(1.0f).item<double>(), std::invalid_argument);
  EXPECT_THROW(array(int8_t(1)).item<int>(), std::invalid_argument);
  const array lazy = add(array(1), array(2));
  EXPECT_THROW(lazy.item<int>(), std::invalid_argument);  // const item needs an evaluated array
  auto copy = lazy;
  copy.eval();
  EXPECT_EQ(lazy.item<int>(), 3);
}

TEST(Array, WrapsExternalDataWithoutCopy) {
  std::atomic<int> deleted{0};
  auto* data = new float[4]{1, 2, 3, 4};
  {
    array a(data, {2, 2}, float32, [&](void* p) {
      delete[] static_cast<float*>(p);
      ++deleted;
    });
    EXPECT_EQ(a.data<float>(), data);
    auto b = a * 2;
    expect_values<float>(b, {2, 2}, float32, {2, 4, 6, 8});
    EXPECT_EQ(deleted, 0);
  }
  EXPECT_EQ(deleted, 1);
}

TEST(Array, LazyUntilEvaluated) {
  auto a = array({1.0f, 2.0f});
  auto b = exp(a);
  EXPECT_EQ(b.status(), array::Status::unscheduled);
  EXPECT_TRUE(b.has_primitive());
  EXPECT_EQ(std::string(b.primitive().name()), "Exp");
  EXPECT_EQ(b.inputs().size(), 1u);
  b.eval();
  EXPECT_EQ(b.status(), array::Status::available);
  // Evaluation detaches the array from its graph.
  EXPECT_FALSE(b.has_primitive());
  EXPECT_TRUE(b.inputs().empty());
  expect_close(b, {std::exp(1.0), std::exp(2.0)}, 1e-6, 1e-6);
}

TEST(Array, IteratesOverFirstAxis) {
  auto a = reshape(arange(6), {3, 2});
  int row = 0;
  for (auto r : a) {
    expect_values<int>(r, {2}, int32, {2 * row, 2 * row + 1});
    ++row;
  }
  EXPECT_EQ(row, 3);
  EXPECT_THROW(array(1).begin(), std::invalid_argument);
}

TEST(Array, MultiOutputSiblings) {
  auto qr = divmod(array({7, -7}), array({2, 2}));
  ASSERT_EQ(qr.size(), 2u);
  EXPECT_EQ(qr[0].siblings().size(), 1u);
  EXPECT_EQ(qr[0].sibling_position(), 0);
  EXPECT_EQ(qr[1].sibling_position(), 1);
  EXPECT_EQ(qr[0].outputs().size(), 2u);
  // Evaluating one output computes both.
  qr[1].eval();
  EXPECT_EQ(qr[0].status(), array::Status::available);
  expect_values<int>(qr[0], {2}, int32, {3, -4});
  expect_values<int>(qr[1], {2}, int32, {1, 1});
}

TEST(Array, DroppedSiblingDoesNotBreakEvaluation) {
  auto r = divmod(array({9}), array({4}))[1];  // the quotient output is dropped
  expect_values<int>(r, {1}, int32, {1});
}

TEST(Array, PrintsLikeMlx) {
  std::ostringstream os;
  os << reshape(arange(4), {2, 2});
  EXPECT_EQ(os.str(), "array([[0, 1],\n       [2, 3]], dtype=int32)");
  std::ostringstream os2;
  os2 << array(true) << " " << array({1.5f});
  EXPECT_EQ(os2.str(), "array(true, dtype=bool) array([1.5], dtype=float32)");
  std::ostringstream os3;
  os3 << reshape(arange(4), {2, 1, 2});
  EXPECT_EQ(os3.str(), "array([[[0, 1]],\n\n       [[2, 3]]], dtype=int32)");
}

}  // namespace
}  // namespace mlxcpp::test

namespace mlxcpp::test {
namespace {

TEST(Array, WrappedMemoryIsNeverWrittenByKernels) {
  // A single-use input's buffer is normally reused for the output; memory the
  // user owns must not be.
  std::vector<float> v{1, 2, 3};
  auto y = exp(array(v.data(), {3}, float32, [](void*) {}));
  y.eval();
  EXPECT_EQ(v, (std::vector<float>{1, 2, 3}));
  EXPECT_NE(y.data<float>(), v.data());
  expect_close(y, {std::exp(1.0), std::exp(2.0), std::exp(3.0)}, 1e-5);
  // The same for a borrowed (weak) copy of an evaluated array.
  auto x = astype(arange(4), float32);
  x.eval();
  auto z = negative(array::unsafe_weak_copy(x));
  z.eval();
  expect_values<float>(x, {4}, float32, {0, 1, 2, 3});
  expect_values<float>(z, {4}, float32, {0, -1, -2, -3});
}

TEST(Array, ForeignBuffersAreNotFreedByTheAllocator) {
  float data[4] = {1, 2, 3, 4};
  clear_cache();
  const size_t active = get_active_memory();
  const size_t cache = get_cache_memory();
  {
    array a(allocator::make_buffer(data, sizeof(data)), {4}, float32);
    expect_values<float>(a * 2.0f, {4}, float32, {2, 4, 6, 8});
  }
  EXPECT_EQ(get_active_memory(), active);
  EXPECT_EQ(data[3], 4.0f);
  auto later = ones({16});
  EXPECT_NO_THROW(later.eval());
  (void)cache;
}

TEST(Array, ComputedArrayIsReadableAfterALaterNodeOfItsTaskFails) {
  auto good = sum(exp(ones({1 << 22})));
  auto bad = slice(arange(10), array({20}), {0}, {3});
  async_eval(good, bad);
  // good was computed before bad failed, whenever this call waits.
  EXPECT_EQ(good.item<float>(), std::exp(1.0f) * (1 << 22));
  EXPECT_THROW(bad.eval(), std::invalid_argument);
  EXPECT_NO_THROW((good + 1.0f).eval());
}

}  // namespace
}  // namespace mlxcpp::test
