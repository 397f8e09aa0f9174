// libFuzzer target: the ZIP container of .npz (end records, directory, inflate, members).
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlxcpp;
  fuzz::expect_clean([&] {
    auto in = std::make_shared<io::MemoryReader>(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz.npz");
    for (const auto& [name, a] : load_npz(in)) {
      fuzz::touch(a);
    }
  });
  return 0;
}
