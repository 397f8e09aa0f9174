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
  EXPECT_EQ(invalid_message([&] { reshape(m, {4, 2}); }),
            "[reshape] Cannot reshape an array of size 6 into shape (4,2).");
  EXPECT_EQ(invalid_message([&] { sum(m, 2); }),
            "[sum] Invalid axis 2 for an array with 2 dimensions; expected an axis in [-2, 2).");
  EXPECT_EQ(invalid_message([&] { transpose(m, {0}); }),
            "[transpose] Expected 2 axes for an array with 2 dimensions; got 1.");
  EXPECT_EQ(invalid_message([&] { broadcast_to(m, {3, 3}); }),
            "[broadcast_to] Cannot broadcast an array of shape (2,3) into shape (3,3).");
  EXPECT_EQ(invalid_message([&] { m + arange(4); }).rfind("[broadcast_shapes] Shapes (2,3) and (4)", 0),
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
