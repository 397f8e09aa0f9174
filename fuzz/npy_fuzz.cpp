// libFuzzer target: the .npy header (magic, version, header dict, dtype, shape, order).
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlxcpp;
  fuzz::expect_clean([&] {
    auto in = std::make_shared<io::MemoryReader>(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    fuzz::touch(load(in));
  });
  return 0;
}
