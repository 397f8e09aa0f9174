// .npz: archives written by Python's zipfile (stored, deflated, ZIP64) load with the
// values of their .npy members; our archives round-trip; broken archives fail cleanly.
#include <cstring>

#include "io/io_test_helpers.h"
#include "mlxcpp/io/zip.h"

namespace mlxcpp::test {
namespace {

class Npz : public TempDirTest {};

void put_le(std::string& s, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}

uint64_t get_le(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  }
  return v;
}

// Offset of the first central directory record ("PK\1\2").
size_t central_record(const std::string& zip) {
  const size_t at = zip.find(std::string("PK\x01\x02", 4));
  EXPECT_NE(at, std::string::npos);
  return at;
}

TEST_F(Npz, ArchivesFromPythonsZipfileLoad) {
  const array a = load(fixture("io/a.npy"));
  const array b = load(fixture("io/b.npy"));
  for (const char* name : {"stored", "deflated"}) {
    SCOPED_TRACE(name);
    const auto arrays = load_npz(fixture(std::string("io/npz/") + name + ".npz"));
    ASSERT_EQ(arrays.size(), 2u);
    EXPECT_EQ(arrays.at("a").dtype(), a.dtype());
    EXPECT_EQ(arrays.at("a").shape(), a.shape());
    EXPECT_TRUE(array_equal(arrays.at("a"), a).item<bool>());
    EXPECT_TRUE(array_equal(arrays.at("b"), b).item<bool>());
  }
  // The ZIP64 end record, locator and extra field (sizes and offset 0xffffffff).
  const auto z64 = load_npz(fixture("io/npz/zip64.npz"));
  ASSERT_EQ(z64.size(), 1u);
  EXPECT_TRUE(array_equal(z64.at("a"), a).item<bool>());
  // MLX's manifest values for a, through the archive.
  const auto m = read_manifest(fixture("io/a.npy.manifest.tsv"));
  expect_manifest(load_npz(fixture("io/npz/deflated.npz")).at("a"), m.tensors[0]);
}

TEST_F(Npz, RoundTripsEveryDtypeStoredAndCompressed) {
  std::unordered_map<std::string, array> arrays;
  for (auto t : all_dtypes()) {
    arrays.emplace("x_" + std::string(dtype_name(t)), astype(reshape(arange(24), {2, 3, 4}), t));
  }
  arrays.emplace("scalar", array(2.5f));
  arrays.emplace("empty", zeros({0, 3}));
  arrays.emplace("strided", transpose(reshape(arange(6.0f), {2, 3})));
  arrays.emplace("folder/name", ones({2}));
  for (const bool compressed : {false, true}) {
    const std::string file = path(compressed ? "c" : "s");
    save_npz(file, arrays, compressed);
    const auto back = load_npz(file + ".npz");  // the extension is appended
    ASSERT_EQ(back.size(), arrays.size());
    for (const auto& [name, a] : arrays) {
      SCOPED_TRACE(name);
      const array& got = back.at(name);
      EXPECT_EQ(got.dtype(), a.dtype());
      EXPECT_EQ(got.shape(), a.shape());
      EXPECT_TRUE(array_equal(got, a).item<bool>());
    }
  }
  // Compression shrinks an array of zeros; the stored archive holds its bytes whole.
  save_npz(path("z.npz"), {{"z", zeros({4096})}}, true);
  save_npz(path("s.npz"), {{"z", zeros({4096})}}, false);
  EXPECT_LT(fs::file_size(path("z.npz")), 1000u);
  EXPECT_GT(fs::file_size(path("s.npz")), 4u * 4096);
}

TEST_F(Npz, WritesTheLayoutZipReadersExpect) {
  save_npz(path("one.npz"), {{"w", arange(3.0f)}}, false);
  const std::string z = read_bytes(path("one.npz"));
  EXPECT_EQ(z.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(get_le(z, 8, 2), 0u);   // stored
  EXPECT_EQ(get_le(z, 26, 2), 5u);  // "w.npy"
  EXPECT_EQ(z.substr(30, 5), "w.npy");
  const std::string npy = z.substr(35, get_le(z, 18, 4));
  auto direct = std::make_shared<io::StringWriter>();
  save(direct, arange(3.0f));
  EXPECT_EQ(npy, direct->bytes());
  // The end record: one member, the directory right after the data.
  const size_t end = z.size() - 22;
  EXPECT_EQ(get_le(z, end, 4), 0x06054b50u);
  EXPECT_EQ(get_le(z, end + 10, 2), 1u);
  EXPECT_EQ(get_le(z, end + 16, 4), central_record(z));
}

TEST_F(Npz, StreamsRoundTrip) {
  auto out = std::make_shared<io::StringWriter>("mem.npz");
  save_npz(out, {{"a", arange(5)}, {"b", full({2, 2}, 7.0f)}}, true);
  auto in = std::make_shared<io::MemoryReader>(out->bytes(), "mem.npz");
  const auto back = load_npz(in);
  EXPECT_TRUE(array_equal(back.at("a"), arange(5)).item<bool>());
  EXPECT_TRUE(array_equal(back.at("b"), full({2, 2}, 7.0f)).item<bool>());
}

TEST_F(Npz, BrokenArchivesGiveFormatErrors) {
  const std::string good = read_bytes(fixture("io/npz/stored.npz"));
  const std::string deflated = read_bytes(fixture("io/npz/deflated.npz"));
  auto check = [&](const std::string& name, const std::string& bytes, const std::string& what) {
    SCOPED_TRACE(name);
    write_bytes(path(name), bytes);
    expect_format_error([&] { load_npz(path(name)); }, what);
  };
  check("empty.npz", "", "too short");
  check("text.npz", std::string(100, 'x'), "no end of central directory");
  // Every truncation fails cleanly (the end record is gone, or what it points at).
  for (size_t n = 0; n < good.size(); n += 7) {
    write_bytes(path("cut.npz"), good.substr(0, n));
    EXPECT_THROW(load_npz(path("cut.npz")), FormatError) << "cut at " << n;
  }
  std::string crc = good;
  crc[central_record(good) - 5] ^= 1;  // a data byte of the last member
  check("crc.npz", crc, "CRC-32 mismatch");

  std::string dir_out = good;
  put_le(dir_out, dir_out.size() - 22 + 16, 0x7ffffff0u, 4);
  check("dir.npz", dir_out, "central directory lies outside");

  std::string many = good;
  put_le(many, many.size() - 22 + 10, 60000, 2);
  check("many.npz", many, "more members than fit");

  std::string local = good;
  put_le(local, central_record(good) + 42, 0x7ffffff0u, 4);
  check("local.npz", local, "local header lies outside");

  std::string sig = good;
  sig[central_record(good)] = 'X';
  check("sig.npz", sig, "bad central directory signature");

  // A deflated member that claims to expand beyond what deflate can produce.
  std::string bomb = deflated;
  put_le(bomb, central_record(deflated) + 24, 0xfffffff0u, 4);
  check("bomb.npz", bomb, "cannot come from");

  std::string big = deflated;
  const size_t r = central_record(deflated);
  put_le(big, r + 24, get_le(deflated, r + 24, 4) + 1, 4);
  check("size.npz", big, "does not match the declared size");

  std::string corrupt = deflated;
  const size_t data_at = 30 + get_le(deflated, 26, 2) + get_le(deflated, 28, 2);
  for (size_t i = 0; i < 8; ++i) {
    corrupt[data_at + i] = static_cast<char>(0xff);
  }
  write_bytes(path("corrupt.npz"), corrupt);
  EXPECT_THROW(load_npz(path("corrupt.npz")), FormatError);

  std::string stored_size = good;
  put_le(stored_size, central_record(good) + 24, 3, 4);
  check("stored_size.npz", stored_size, "stored member with different sizes");
}

// An archive written member by member with the library's ZIP writer.
std::string archive(const std::vector<std::pair<std::string, std::string>>& members,
                    bool deflate = false) {
  io::StringWriter out;
  io::zip::Writer zip(out);
  for (const auto& [name, bytes] : members) {
    zip.add(name, bytes, deflate);
  }
  zip.finish();
  return out.bytes();
}

std::string npy_bytes(const array& a) {
  auto w = std::make_shared<io::StringWriter>();
  save(w, a);
  return w->bytes();
}

TEST_F(Npz, MembersThatAreNotArraysAreErrors) {
  const std::string npy = npy_bytes(arange(4));
  auto check = [&](const std::string& name, const std::string& bytes, const std::string& what) {
    SCOPED_TRACE(name);
    write_bytes(path(name), bytes);
    expect_format_error([&] { load_npz(path(name)); }, what);
  };
  check("text.npz", archive({{"a.npy", npy}, {"notes.txt", "hello"}}), "'notes.txt' is not a .npy");
  check("twice.npz", archive({{"a.npy", npy}, {"a.npy", npy}}), "'a' appears twice");
  std::string header = npy;
  header[1] = 'X';  // the .npy magic of the member
  check("header.npz", archive({{"a.npy", header}}, true), "a.npy");
  // Folder entries hold nothing and are skipped.
  write_bytes(path("folder.npz"), archive({{"d/", ""}, {"d/a.npy", npy}}));
  EXPECT_TRUE(array_equal(load_npz(path("folder.npz")).at("d/a"), arange(4)).item<bool>());

  std::string enc = archive({{"a.npy", npy}});
  put_le(enc, central_record(enc) + 8, 1, 2);  // general purpose flag: encrypted
  write_bytes(path("enc.npz"), enc);
  EXPECT_THROW(load_npz(path("enc.npz")), Unsupported);
  std::string bzip = archive({{"a.npy", npy}});
  put_le(bzip, central_record(bzip) + 10, 12, 2);  // method 12: bzip2
  write_bytes(path("bzip.npz"), bzip);
  try {
    load_npz(path("bzip.npz"));
    ADD_FAILURE() << "method 12 loaded";
  } catch (const Unsupported& e) {
    EXPECT_NE(std::string(e.what()).find("compression method 12"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_npz(path("missing.npz")), IoError);
}

TEST_F(Npz, SaveIsAtomic) {
  save_npz(path("keep.npz"), {{"a", arange(3)}});
  const std::string before = read_bytes(path("keep.npz"));
  // An array whose evaluation fails (an index out of range) leaves the old file whole.
  const array bad = take(arange(3), array({7}));
  EXPECT_ANY_THROW(save_npz(path("keep.npz"), {{"a", arange(3)}, {"bad", bad}}));
  EXPECT_EQ(read_bytes(path("keep.npz")), before);
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename(), "keep.npz") << "left behind: " << e.path();
  }
}

}  // namespace
}  // namespace mlxcpp::test
