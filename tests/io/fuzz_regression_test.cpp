// Inputs the fuzzers (fuzz/) found problems with, kept as regression tests: each loads or
// fails with a documented error, and what loads reads back with defined values.
#include <filesystem>

#include "io/io_test_helpers.h"

namespace mlxcpp::test {
namespace {

// Loads a fuzzer input with the loader its extension names and reads every element.
void load_and_touch(const fs::path& p) {
  std::vector<array> arrays;
  const std::string ext = p.extension().string();
  if (ext == ".safetensors") {
    for (auto& [k, v] : load_safetensors(p.string()).first)
      arrays.push_back(v);
  } else if (ext == ".npy") {
    arrays.push_back(load(p.string()));
  } else if (ext == ".npz") {
    for (auto& [k, v] : load_npz(p.string()))
      arrays.push_back(v);
  } else if (ext == ".gguf") {
    for (auto& [k, v] : load_gguf(p.string()).first)
      arrays.push_back(v);
  } else {
    FAIL() << "unknown fuzzer input kind " << p;
  }
  for (const auto& a : arrays) {
    if (a.dtype() != complex64) {
      array s = sum(astype(a, float32));
      s.eval();
    }
  }
}

TEST(FuzzRegressions, EveryKeptInputLoadsOrFailsCleanly) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(fixture("io/fuzz"))) {
    SCOPED_TRACE(e.path().string());
    try {
      load_and_touch(e.path());
    } catch (const FormatError&) {
    } catch (const Unsupported&) {
    }
    ++n;
  }
  EXPECT_GE(n, 2u);
}

// npy-f64-overflow.npy: a '<b1' array whose bytes are 0x9f and others; reading them as C++
// bools was undefined. Any nonzero byte is true, as NumPy reads it.
TEST(FuzzRegressions, BoolBytesOtherThanZeroOrOneReadAsTrue) {
  const array a = load(fixture("io/fuzz/npy-f64-overflow.npy"));
  ASSERT_EQ(a.dtype(), bool_);
  ASSERT_EQ(a.shape(), (Shape{7, 4}));
  const std::string raw = read_bytes(fixture("io/fuzz/npy-f64-overflow.npy"));
  array bytes = astype(a, uint8);
  bytes.eval();
  // Fortran order: element (i, j) is stored at j * 7 + i.
  for (int i = 0; i < 7; ++i) {
    for (int j = 0; j < 4; ++j) {
      // The data follows the 10-byte preamble and the 0x76-byte header.
      const uint8_t stored = static_cast<uint8_t>(raw[10 + 0x76 + j * 7 + i]);
      EXPECT_EQ(bytes.data<uint8_t>()[i * 4 + j], stored != 0 ? 1 : 0) << i << "," << j;
    }
  }
}

class BoolSafetensors : public TempDirTest {};

TEST_F(BoolSafetensors, NonCanonicalBytesAreCopiedAndNormalised) {
  std::string header = R"({"b":{"dtype":"BOOL","shape":[4],"data_offsets":[0,4]}})";
  while ((8 + header.size()) % 8 != 0)
    header += ' ';
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i)
    file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  file += header + std::string("\x00\x01\x02\xff", 4);
  write_bytes(path("b.safetensors"), file);
  for (const bool mapped : {true, false}) {
    const array b = mapped
                        ? load_safetensors(path("b.safetensors")).first.at("b")
                        : load_safetensors(std::make_shared<io::FileReader>(path("b.safetensors")))
                              .first.at("b");
    array u = astype(b, uint8);
    u.eval();
    EXPECT_EQ(std::vector<uint8_t>(u.data<uint8_t>(), u.data<uint8_t>() + 4),
              (std::vector<uint8_t>{0, 1, 1, 1}))
        << (mapped ? "mapped" : "stream");
  }
}

}  // namespace
}  // namespace mlxcpp::test
