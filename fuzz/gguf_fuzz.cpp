// libFuzzer target: the GGUF header, metadata, tensor infos and block decoding.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlxcpp;
  fuzz::TempFile file(data, size);
  fuzz::expect_clean([&] {
    const auto [arrays, meta] = load_gguf(file.path());
    for (const auto& [name, a] : arrays) {
      fuzz::touch(a);
    }
    for (const auto& [key, value] : meta) {
      if (const auto* a = std::get_if<array>(&value)) {
        fuzz::touch(*a);
      }
    }
  });
  return 0;
}
