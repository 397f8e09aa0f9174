// Error types and messages: argument errors are std::invalid_argument with
// "[op] ..." messages; devices this build lacks are refused clearly.
#include <algorithm>
#include <thread>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

// The message of the std::invalid_argument that f throws.
template <typename F>
std::string invalid_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(Errors, MessagesNameTheOpAndWhatWasExpected) {
  auto m = reshape(arange(6), {2, 3});
  EXPECT_EQ(invalid_message([&] {
              reshape(m, {4, 2});
            }),
            "[reshape] Cannot reshape 6 elements into shape (4,2).");
  EXPECT_EQ(invalid_message([&] { sum(m, 2); }),
            "[sum] Invalid axis 2 for an array with 2 dimensions; expected an axis in [-2, 2).");
  EXPECT_EQ(invalid_message([&] { transpose(m, {0}); }),
            "[transpose] Expected 2 axes for an array with 2 dimensions; got 1.");
  EXPECT_EQ(invalid_message([&] {
              broadcast_to(m, {3, 3});
            }),
            "[broadcast_to] Cannot broadcast an array of shape (2,3) into shape (3,3).");
  EXPECT_EQ(
      invalid_message([&] { m + arange(4); }).rfind("[broadcast_shapes] Shapes (2,3) and (4)", 0),
      0u);
  EXPECT_EQ(invalid_message([&] { floor(array(complex64_t(1, 0))); }),
            "[floor] Not supported for complex64.");
}

TEST(Errors, EveryErrorTypeDerivesFromError) {
  EXPECT_THROW(throw FormatError("f.npy", 12, "bad"), Error);
  EXPECT_THROW(throw IoError("x"), Error);
  EXPECT_THROW(throw Unsupported("x"), Error);
  EXPECT_THROW(throw MemoryLimitError("x"), Error);
  EXPECT_THROW(throw TemplateError("x"), Error);
  EXPECT_THROW(throw Cancelled("x"), Error);
  FormatError fe("model.safetensors", 42, "offset past the end");
  EXPECT_EQ(fe.file(), "model.safetensors");
  EXPECT_EQ(fe.offset(), 42u);
  EXPECT_EQ(std::string(fe.what()), "[model.safetensors @ 42] offset past the end");
}

TEST(Errors, GpuIsNotAvailableInThisBuild) {
  EXPECT_TRUE(is_available(Device::cpu));
  EXPECT_FALSE(is_available(Device::gpu));
  EXPECT_EQ(device_count(Device::gpu), 0);
  EXPECT_EQ(device_count(Device::cpu), 1);
  EXPECT_THROW(set_default_device(Device::gpu), std::invalid_argument);
  EXPECT_THROW(default_stream(Device::gpu), std::invalid_argument);
  EXPECT_THROW(new_stream(Device::gpu), std::invalid_argument);
  EXPECT_THROW(add(array(1), array(2), Device::gpu), std::invalid_argument);
  EXPECT_THROW(add(array(1), array(2), Stream(0, Device::gpu)), std::invalid_argument);
  EXPECT_THROW(device_info(Device::gpu), std::invalid_argument);
  EXPECT_EQ(default_device(), Device(Device::cpu));
}

TEST(Errors, DeviceInfoDescribesTheCpu) {
  const auto& info = device_info();
  EXPECT_GT(std::get<size_t>(info.at("memory_size")), 0u);
  EXPECT_GE(std::get<size_t>(info.at("threads")), 1u);
  EXPECT_FALSE(std::get<std::string>(info.at("device_name")).empty());
}

TEST(Streams, NewStreamsAndDefaults) {
  auto s = new_stream(Device::cpu);
  EXPECT_EQ(s.device, Device(Device::cpu));
  auto x = add(array(1), array(2), s);
  EXPECT_EQ(x.primitive().stream(), s);
  async_eval(x);
  synchronize(s);
  EXPECT_EQ(x.item<int>(), 3);
  {
    StreamContext ctx(s);
    EXPECT_EQ(default_stream(Device::cpu), s);
    EXPECT_EQ(add(array(1), array(1)).primitive().stream(), s);
  }
  EXPECT_NE(default_stream(Device::cpu), s);
  auto streams = get_streams();
  EXPECT_NE(std::find(streams.begin(), streams.end(), s), streams.end());
  EXPECT_THROW(StreamContext(StreamOrDevice{}), std::invalid_argument);
  auto tls = new_thread_local_stream(Device::cpu);
  auto mine = stream_from_thread_local_stream(tls);
  EXPECT_EQ(stream_from_thread_local_stream(tls), mine);
  Stream other = mine;
  std::thread([&] { other = stream_from_thread_local_stream(tls); }).join();
  EXPECT_NE(other, mine);
}

}  // namespace
}  // namespace mlxcpp::test

namespace mlxcpp::test {
namespace {

TEST(Errors, ValidationRulesOfReductionsAndScans) {
  EXPECT_THROW(softmax(array(1.0f), std::vector<int>{0}), std::invalid_argument);
  EXPECT_THROW(softmax(zeros({2, 2}), 2), std::invalid_argument);
  EXPECT_THROW(logsumexp(zeros({0})), std::invalid_argument);
  EXPECT_THROW(logsumexp(array(1.0f), std::vector<int>{0}), std::invalid_argument);
  EXPECT_THROW(sum(zeros({2, 2}), {0, 0}), std::invalid_argument);
  EXPECT_THROW(sum(zeros({2, 2}), {0, -2}), std::invalid_argument);
  EXPECT_THROW(max(zeros({2, 2}), std::vector<int>{-3}), std::invalid_argument);
  EXPECT_THROW(var(zeros({2, 2}), std::vector<int>{2}), std::invalid_argument);
  EXPECT_THROW(median(zeros({2, 2}), {1, 1}), std::invalid_argument);
  EXPECT_THROW(argmin(zeros({2, 2}), -3), std::invalid_argument);
  EXPECT_THROW(all(zeros({2}), 1), std::invalid_argument);
  EXPECT_THROW(count_nonzero(zeros({2}), 1), std::invalid_argument);
  EXPECT_THROW(cummax(zeros({2}), 1), std::invalid_argument);
  EXPECT_THROW(diff(zeros({2}), 1, 1), std::invalid_argument);
  EXPECT_THROW(sort(zeros({2}), -2), std::invalid_argument);
  EXPECT_THROW(argsort(zeros({2}), 1), std::invalid_argument);
}

TEST(Errors, ValidationRulesOfElementwiseOps) {
  const array c = array(complex64_t(1, 0));
  EXPECT_THROW(nan_to_num(c), std::invalid_argument);
  EXPECT_THROW(remainder(c, array(1.0f)), std::invalid_argument);
  EXPECT_THROW(divmod(c, array(1.0f)), std::invalid_argument);
  EXPECT_THROW(logaddexp(c, array(1.0f)), std::invalid_argument);
  EXPECT_THROW(expm1(c), std::invalid_argument);
  EXPECT_THROW(log1p(c), std::invalid_argument);
  EXPECT_THROW(erfinv(c), std::invalid_argument);
  EXPECT_THROW(ceil(c), std::invalid_argument);
  EXPECT_THROW(trunc(c), std::invalid_argument);
  EXPECT_THROW(round(c), std::invalid_argument);
  EXPECT_THROW(bitwise_or(array(1.0f), array(1)), std::invalid_argument);
  EXPECT_THROW(right_shift(array(1), array(2.0f)), std::invalid_argument);
  EXPECT_THROW(where(array({true}), arange(2), arange(3)), std::invalid_argument);
  EXPECT_THROW(isclose(arange(2), arange(3)), std::invalid_argument);
}

TEST(Errors, ValidationRulesOfShapeOps) {
  const array a = arange(6);
  EXPECT_THROW(tri(-1, 2, 0, float32), std::invalid_argument);
  EXPECT_THROW(roll(a, Shape{1}, std::vector<int>{0, 0}), std::invalid_argument);
  EXPECT_THROW(stack({a, a}, 2), std::invalid_argument);
  EXPECT_THROW(split(a, Shape{2}, 1), std::invalid_argument);
  EXPECT_THROW(unstack(a, 1), std::invalid_argument);
  EXPECT_THROW(unflatten(a, 1, {2, 3}), std::invalid_argument);
  EXPECT_THROW(unflatten(a, 0, {-1, -1}), std::invalid_argument);
  EXPECT_THROW(unflatten(a, 0, {-2, 3}), std::invalid_argument);
  EXPECT_THROW(unflatten(zeros({0}), 0, {0, -1}), std::invalid_argument);
  EXPECT_THROW(flatten(zeros({2, 2}), 0, -3), std::invalid_argument);
  EXPECT_THROW(as_strided(a, {-1}, {1}, 0), std::invalid_argument);
  EXPECT_THROW(repeat(a, 2, 1), std::invalid_argument);
  EXPECT_THROW(swapaxes(a, 0, 1), std::invalid_argument);
  EXPECT_THROW(diagonal(zeros({2, 2}), 0, 0, 2), std::invalid_argument);
  EXPECT_THROW(trace(zeros({2, 2}), 0, 0, 0), std::invalid_argument);
  EXPECT_THROW(flip(a, {0, 1}), std::invalid_argument);
  EXPECT_THROW(slice(a, {0}, {6}, {0}), std::invalid_argument);
  EXPECT_THROW(slice(a, array({0}, float32), {0}, {2}), std::invalid_argument);
  EXPECT_THROW(slice(a, reshape(array({0, 0}), {1, 2}), {0, 0}, {2}), std::invalid_argument);
  EXPECT_THROW(slice_update(a, array(1), Shape{0}, Shape{2}, Shape{0}), std::invalid_argument);
  EXPECT_THROW(slice_update_add(a, arange(3), Shape{0}, Shape{2}), std::invalid_argument);
}

TEST(Errors, SizeOverflowIsRejectedBeforeAnythingIsAllocated) {
  const int big = 1 << 30;
  // Each input is lazy and never allocated; the result's size does not fit.
  auto z = zeros({big});
  EXPECT_THROW(concatenate({z, z, z}), std::invalid_argument);
  EXPECT_THROW(repeat(z, 4, 0), std::invalid_argument);
  EXPECT_THROW(tile(z, {4}), std::invalid_argument);
  EXPECT_THROW(pad(z, {0, big + big / 2}), std::invalid_argument);
  EXPECT_THROW(broadcast_to(array(1.0f), {big, big, big}), std::invalid_argument);
  EXPECT_THROW(reshape(z, {big, big, 0, -1}), std::invalid_argument);
  EXPECT_THROW(flatten(broadcast_to(array(1.0f), {big, 4})), std::invalid_argument);
  EXPECT_THROW(view(broadcast_to(array(1.0f), {2, big}), uint8), std::invalid_argument);
  EXPECT_THROW(diag(broadcast_to(array(1.0f), {std::numeric_limits<int>::max()}), 5),
               std::invalid_argument);
  // A representable but huge array fails at evaluation with MemoryLimitError.
  auto huge = zeros({big, big});
  EXPECT_THROW(huge.eval(), MemoryLimitError);
}

}  // namespace
}  // namespace mlxcpp::test
