// .npy load/save: round trips, NumPy's variants, and malformed files.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/io_test_helpers.h"

namespace mlxcpp::test {
namespace {

class Npy : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mlxcpp_npy_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Write a hand-made npy file: header dict text and raw data.
  std::string write_raw(const std::string& name, const std::string& header, const std::string& data,
                        int version = 1) {
    std::string h = header;
    const size_t prefix = version == 1 ? 10 : 12;
    while ((prefix + h.size() + 1) % 64 != 0) {
      h += ' ';
    }
    h += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += static_cast<char>(version);
    bytes += '\0';
    bytes += static_cast<char>(h.size() & 0xff);
    bytes += static_cast<char>((h.size() >> 8) & 0xff);
    if (version != 1) {
      bytes += '\0';
      bytes += '\0';
    }
    bytes += h + data;
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }

  fs::path dir_;
};

TEST_F(Npy, RoundTripsEveryDtype) {
  for (auto t : all_dtypes()) {
    auto a = astype(reshape(arange(12), {3, 4}), t);
    const std::string file = path(std::string(dtype_name(t)) + ".npy");
    save(file, a);
    auto b = load(file);
    EXPECT_EQ(b.dtype(), t);
    EXPECT_EQ(b.shape(), (Shape{3, 4}));
    EXPECT_TRUE(array_equal(a, b).item<bool>()) << dtype_name(t);
  }
}

TEST_F(Npy, RoundTripsScalarsEmptyAndStridedArrays) {
  save(path("s.npy"), array(2.5f));
  expect_values<float>(load(path("s.npy")), {}, float32, {2.5f});
  save(path("e.npy"), zeros({0, 3}));
  EXPECT_EQ(load(path("e.npy")).shape(), (Shape{0, 3}));
  save(path("t.npy"), transpose(reshape(arange(6), {2, 3})));
  expect_values<int>(load(path("t.npy")), {3, 2}, int32, {0, 3, 1, 4, 2, 5});
  // ".npy" is added when missing.
  save(path("noext"), arange(2));
  expect_values<int>(load(path("noext.npy")), {2}, int32, {0, 1});
}

TEST_F(Npy, ReadsNumpyVariants) {
  // Fortran order: the data is column-major.
  std::string data;
  for (int v : {1, 4, 2, 5, 3, 6}) {
    data.append(reinterpret_cast<const char*>(&v), 4);
  }
  auto f = write_raw("f.npy", "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", data);
  expect_values<int>(load(f), {2, 3}, int32, {1, 2, 3, 4, 5, 6});
  // Big-endian floats and complex.
  std::string be;
  for (float v : {1.5f, -2.0f}) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    u = __builtin_bswap32(u);
    be.append(reinterpret_cast<const char*>(&u), 4);
  }
  auto b = write_raw("b.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", be);
  expect_values<float>(load(b), {2}, float32, {1.5f, -2.0f});
  auto c = write_raw("c.npy", "{'descr': '>c8', 'fortran_order': False, 'shape': (), }", be);
  EXPECT_EQ(load(c).item<complex64_t>(), complex64_t(1.5f, -2.0f));
  // Version 2 headers, double quotes, different key order and spacing.
  auto v2 = write_raw("v2.npy", "{\"shape\":(1,),\"fortran_order\":False,\"descr\":\"|u1\"}",
                      std::string(1, '\x07'), 2);
  expect_values<int>(load(v2), {1}, uint8, {7});
  // MLX writes bfloat16 as '<V2'.
  auto bf = write_raw("bf.npy", "{'descr': '<V2', 'fortran_order': False, 'shape': (1,), }",
                      std::string("\x80\x3f", 2));
  expect_values<float>(load(bf), {1}, bfloat16, {1.0f});
}

TEST_F(Npy, MalformedFilesGiveFormatErrors) {
  auto expect_format_error = [&](const std::string& file, const std::string& fragment) {
    try {
      load(file);
      ADD_FAILURE() << "no error for " << file;
    } catch (const FormatError& e) {
      EXPECT_EQ(e.file(), file);
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  std::ofstream(path("short.npy")) << "\x93NU";
  expect_format_error(path("short.npy"), "shorter");
  std::ofstream(path("magic.npy")) << "PK\x03\x04 not numpy at all";
  expect_format_error(path("magic.npy"), "magic");
  const std::string ok_data(8, '\0');
  expect_format_error(
      write_raw("obj.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", ok_data),
      "Object arrays");
  expect_format_error(
      write_raw("str.npy", "{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", ok_data),
      "Unsupported dtype");
  expect_format_error(
      write_raw("rec.npy", "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                ok_data),
      "Structured");
  expect_format_error(
      write_raw("trunc.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", ok_data),
      "truncated");
  expect_format_error(
      write_raw("neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ok_data),
      "non-negative");
  expect_format_error(
      write_raw("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }",
                ok_data),
      "2^31");
  expect_format_error(
      write_raw("dup.npy",
                "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                ok_data),
      "twice");
  expect_format_error(
      write_raw("key.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                ok_data),
      "Unexpected header key");
  expect_format_error(write_raw("missing.npy", "{'descr': '<f4', 'shape': (1,), }", ok_data),
                      "lacks");
  expect_format_error(
      write_raw("order.npy", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", ok_data),
      "True or False");
  expect_format_error(write_raw("unterminated.npy", "{'descr': '<f4", ok_data), "Unterminated");
  expect_format_error(write_raw("overflow.npy",
                                "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, "
                                "2147483647, 2147483647), }",
                                ok_data),
                      "too large");
  // The element count fits but the byte count (x 8) would wrap 64 bits.
  expect_format_error(
      write_raw("bytes.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824, 1073741824, 2), }",
                ok_data),
      "too large");
  // A header length that points past the end of the file.
  std::string bad = "\x93NUMPY\x01";
  bad += '\0';
  bad += "\xff\xff";
  bad += "{}";
  std::ofstream(path("len.npy"), std::ios::binary) << bad;
  expect_format_error(path("len.npy"), "header length");
  std::string ver = "\x93NUMPY\x07";
  ver += std::string(20, '\0');
  std::ofstream(path("ver.npy"), std::ios::binary) << ver;
  expect_format_error(path("ver.npy"), "version");
}

TEST_F(Npy, MissingFilesGiveIoErrors) {
  EXPECT_THROW(load(path("does_not_exist.npy")), IoError);
  EXPECT_THROW(save(path("no/such/dir/x.npy"), arange(2)), IoError);
}

TEST_F(Npy, SaveIsAtomic) {
  // Saving over an existing file replaces it whole; no temporary is left behind.
  save(path("a.npy"), arange(3));
  save(path("a.npy"), arange(5));
  expect_values<int>(load(path("a.npy")), {5}, int32, {0, 1, 2, 3, 4});
  int files = 0;
  for (auto& e : fs::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace mlxcpp::test

namespace mlxcpp::test {
namespace {

// A reader written against MLX's io::Reader interface (no size()): an
// in-memory byte string.
class StringReader : public io::Reader {
 public:
  explicit StringReader(std::string bytes) : bytes_(std::move(bytes)) {}
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way) override {
    pos_ = static_cast<size_t>((way == std::ios_base::end   ? int64_t(bytes_.size())
                                : way == std::ios_base::cur ? int64_t(pos_)
                                                            : 0) +
                               off);
  }
  void read(char* data, size_t n) override {
    read(data, n, pos_);
    pos_ += n;
  }
  void read(char* data, size_t n, size_t offset) override {
    if (offset + n > bytes_.size()) {
      throw IoError("short read");
    }
    std::memcpy(data, bytes_.data() + offset, n);
  }
  std::string label() const override { return "memory"; }

 private:
  std::string bytes_;
  size_t pos_{0};
};

// A writer that collects bytes in memory.
class StringWriter : public io::Writer {
 public:
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return bytes.size(); }
  void seek(int64_t, std::ios_base::seekdir) override {}
  void write(const char* data, size_t n) override { bytes.append(data, n); }
  std::string label() const override { return "memory"; }
  std::string bytes;
};

TEST(NpyStreams, CustomReadersAndWritersRoundTrip) {
  auto w = std::make_shared<StringWriter>();
  save(w, reshape(astype(arange(6), float16), {2, 3}));
  EXPECT_EQ(w->bytes.size() % 64, 12u);  // 64-byte aligned header, then 6 * 2 bytes
  auto r = std::make_shared<StringReader>(w->bytes);
  expect_values<float>(load(r), {2, 3}, float16, {0, 1, 2, 3, 4, 5});
  auto bad = std::make_shared<StringReader>(w->bytes.substr(0, w->bytes.size() - 1));
  EXPECT_THROW(load(bad), FormatError);
}

TEST(NpyFixtures, MlxAndNumpyWrittenFilesLoadWithMlxsValues) {
  for (const std::string name : {"a", "b", "fortran", "bigendian"}) {
    const auto m = read_manifest(fixture("io/" + name + ".npy.manifest.tsv"));
    ASSERT_EQ(m.tensors.size(), 1u) << name;
    expect_manifest(load(fixture("io/" + name + ".npy")), m.tensors[0]);
  }
}

}  // namespace
}  // namespace mlxcpp::test
