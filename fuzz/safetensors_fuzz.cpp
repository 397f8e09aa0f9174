// libFuzzer target: the safetensors header and tensor table, through both the stream
// reader and the memory-mapped file reader.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlxcpp;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean([&] {
    auto in = std::make_shared<io::MemoryReader>(bytes, "fuzz.safetensors");
    for (const auto& [name, a] : load_safetensors(in).first) {
      fuzz::touch(a);
    }
  });
  fuzz::TempFile file(data, size);
  fuzz::expect_clean([&] {
    for (const auto& [name, a] : load_safetensors(file.path()).first) {
      fuzz::touch(a);
    }
  });
  return 0;
}
