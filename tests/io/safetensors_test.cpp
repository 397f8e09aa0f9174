// safetensors: MLX-written files, round trips of every dtype, zero-copy loading,
// sharded checkpoints, and malformed files of every kind.
#include <gtest/gtest.h>

#include <random>

#include "io/io_test_helpers.h"

namespace mlxcpp::test {
namespace {

// A safetensors file from header JSON text and data bytes.
std::string st_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((uint64_t(header.size()) >> (8 * i)) & 0xff);
  }
  return out + header + data;
}

using Safetensors = TempDirTest;

TEST_F(Safetensors, LoadsMlxWrittenFilesWithMlxsValues) {
  for (const std::string name : {"mixed", "single"}) {
    const auto m = read_manifest(fixture("io/" + name + ".safetensors.manifest.tsv"));
    auto [arrays, meta] = load_safetensors(fixture("io/" + name + ".safetensors"));
    EXPECT_EQ(arrays.size(), m.tensors.size());
    for (const auto& t : m.tensors) {
      ASSERT_TRUE(arrays.count(t.name)) << t.name;
      expect_manifest(arrays.at(t.name), t);
    }
    for (const auto& [k, v] : m.meta) {
      EXPECT_EQ(meta.at(k), v);
    }
    EXPECT_EQ(meta.size(), m.meta.size());
  }
}

TEST_F(Safetensors, EveryDtypeRoundTripsExactly) {
  std::unordered_map<std::string, array> in;
  for (Dtype dt : all_dtypes()) {
    in.emplace(std::string(dtype_name(dt)),
               make_array(random_values(24, -50, 50, 1), {2, 3, 4}, dt));
  }
  in.emplace("scalar", array(2.5f));
  in.emplace("empty", zeros({0, 3}));
  in.emplace("strided", transpose(reshape(arange(12.0f), {3, 4})));
  save_safetensors(path("all"), in, {{"format", "mlx"}, {"note", "x"}});
  EXPECT_TRUE(fs::exists(path("all.safetensors")));
  // The atomic write leaves nothing else behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
  auto [out, meta] = load_safetensors(path("all.safetensors"));
  ASSERT_EQ(out.size(), in.size());
  for (const auto& [name, a] : in) {
    const array& b = out.at(name);
    EXPECT_EQ(b.dtype(), a.dtype()) << name;
    EXPECT_EQ(b.shape(), a.shape()) << name;
    EXPECT_TRUE(array_equal(a, b, true).item<bool>()) << name;
  }
  EXPECT_EQ(meta.at("format"), "mlx");
  // The stream interface reads the same file into memory.
  auto [from_stream, meta2] =
      load_safetensors(std::make_shared<io::FileReader>(path("all.safetensors")));
  EXPECT_TRUE(array_equal(from_stream.at("float32"), in.at("float32")).item<bool>());
  EXPECT_EQ(meta2, meta);
}

// The address range of the mapping of file in /proc/self/maps, or {0, 0}.
std::pair<uintptr_t, uintptr_t> mapping_of(const std::string& file) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const std::string canonical = fs::canonical(file).string();
  while (std::getline(maps, line)) {
    if (line.size() >= canonical.size() &&
        line.compare(line.size() - canonical.size(), canonical.size(), canonical) == 0) {
      const auto dash = line.find('-');
      const auto space = line.find(' ');
      return {std::stoull(line.substr(0, dash), nullptr, 16),
              std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16)};
    }
  }
  return {0, 0};
}

TEST_F(Safetensors, FileTensorsViewTheMappingWithoutACopy) {
  save_safetensors(path("w.safetensors"),
                   {{"w", reshape(arange(64.0f), {8, 8})}, {"b", arange(3)}});
  auto [arrays, meta] = load_safetensors(path("w.safetensors"));
  const auto [lo, hi] = mapping_of(path("w.safetensors"));
  ASSERT_NE(lo, 0u) << "the file is not mapped";
  for (const auto& [name, a] : arrays) {
    const auto p = reinterpret_cast<uintptr_t>(a.data<char>());
    EXPECT_GE(p, lo) << name;
    EXPECT_LE(p + a.nbytes(), hi) << name;
  }
  expect_values<float>(sum(arrays.at("w")), {}, float32, {2016});
  // The mapping outlives the load call for as long as an array uses it.
  array kept = arrays.at("w");
  arrays.clear();
  EXPECT_NE(mapping_of(path("w.safetensors")).first, 0u);
  expect_values<float>(sum(kept), {}, float32, {2016});
}

TEST_F(Safetensors, Fp8LoadsAsBytes) {
  const std::string header = R"({"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})";
  write_bytes(path("f8.safetensors"), st_bytes(header, std::string("\x38\x40\xb8\x00", 4)));
  auto [arrays, meta] = load_safetensors(path("f8.safetensors"));
  expect_values<uint32_t>(arrays.at("a"), {4}, uint8, {0x38, 0x40, 0xb8, 0});
}

TEST_F(Safetensors, ShardedCheckpointLoadsEveryTensor) {
  save_safetensors(path("model-00001-of-00002.safetensors"),
                   {{"a", arange(3.0f)}, {"b", ones({2})}}, {{"format", "mlx"}});
  save_safetensors(path("model-00002-of-00002.safetensors"), {{"c", zeros({4})}});
  write_bytes(
      path("model.safetensors.index.json"),
      R"({"metadata":{"total_size":36},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
      R"("b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})");
  auto [arrays, meta] = load_sharded_safetensors(path("model.safetensors.index.json"));
  EXPECT_EQ(arrays.size(), 3u);
  expect_values<float>(arrays.at("a"), {3}, float32, {0, 1, 2});
  EXPECT_EQ(meta.at("format"), "mlx");
}

TEST_F(Safetensors, ShardedIndexErrors) {
  save_safetensors(path("s1.safetensors"), {{"a", arange(3.0f)}, {"b", ones({2})}});
  write_bytes(path("missing.json"),
              R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors","z":"s1.safetensors"}})");
  expect_format_error([&] { load_sharded_safetensors(path("missing.json")); }, "'z'");
  write_bytes(path("extra.json"), R"({"weight_map":{"a":"s1.safetensors"}})");
  expect_format_error([&] { load_sharded_safetensors(path("extra.json")); }, "does not list");
  write_bytes(path("escape.json"), R"({"weight_map":{"a":"../s1.safetensors"}})");
  expect_format_error([&] { load_sharded_safetensors(path("escape.json")); }, "plain file name");
  write_bytes(path("bad.json"), R"({"weight_map":[1,2]})");
  expect_format_error([&] { load_sharded_safetensors(path("bad.json")); }, "weight_map");
  write_bytes(path("notjson.json"), "{weight_map");
  expect_format_error([&] { load_sharded_safetensors(path("notjson.json")); }, "not valid JSON");
  EXPECT_THROW(load_sharded_safetensors(path("nope.json")), IoError);
}

TEST_F(Safetensors, MalformedHeadersAreFormatErrors) {
  const std::string f = path("bad.safetensors");
  auto check = [&](const std::string& bytes, const std::string& fragment) {
    write_bytes(f, bytes);
    expect_format_error([&] { load_safetensors(f); }, fragment);
    expect_format_error([&] { load_safetensors(std::make_shared<io::FileReader>(f)); }, fragment);
  };
  const std::string ok_entry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string data(8, '\0');
  check("abc", "shorter than");
  check(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "exceeds the file");
  check(st_bytes("{" + ok_entry, data), "not valid JSON");
  check(st_bytes("[1, 2]", data), "must be a JSON object");
  check(st_bytes("{" + ok_entry + "," + ok_entry + "}", data), "twice");
  check(st_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data), "bytes");
  check(st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", data), "outside");
  check(st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data), "outside");
  check(st_bytes(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", data),
        "unknown dtype");
  check(st_bytes(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data), "shape");
  check(st_bytes(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", data), "shape");
  check(st_bytes(R"({"a":{"dtype":"F32","shape":[2]}})", data), "exactly dtype");
  check(st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", data),
        "exactly dtype");
  check(st_bytes(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                 R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                 data),
        "overlap");
  check(st_bytes(R"({"__metadata__":{"k":1}})", ""), "must be a string");
  check(st_bytes(R"({"__metadata__":[1]})", ""), "__metadata__");
  check(st_bytes(R"({"a":{"dtype":"F32","shape":[[[2]]],"data_offsets":[0,8]}})", data),
        "nests deeper");
  // Shapes whose byte count overflows 64 bits cannot match any range.
  check(st_bytes(R"({"a":{"dtype":"F64","shape":[2147483647,2147483647,2147483647,8],)"
                 R"("data_offsets":[0,8]}})",
                 data),
        "bytes");
  EXPECT_THROW(load_safetensors(path("does_not_exist.safetensors")), IoError);
}

TEST_F(Safetensors, TruncationsAndBitFlipsNeverCrash) {
  save_safetensors(path("ok.safetensors"),
                   {{"a", reshape(arange(12.0f), {3, 4})}, {"b", arange(5)}}, {{"k", "v"}});
  const std::string good = read_bytes(path("ok.safetensors"));
  const std::string f = path("cut.safetensors");
  for (size_t n = 0; n < good.size(); ++n) {
    write_bytes(f, good.substr(0, n));
    EXPECT_TRUE(fails_cleanly([&] { load_safetensors(f); })) << "truncated at " << n;
  }
  std::mt19937 gen(7);
  for (int i = 0; i < 500; ++i) {
    std::string bytes = good;
    bytes[gen() % bytes.size()] ^= static_cast<char>(1 << (gen() % 8));
    write_bytes(f, bytes);
    fails_cleanly([&] {
      auto loaded = load_safetensors(f);
      for (auto& [name, a] : loaded.first) {
        a.eval();
      }
    });
  }
}

TEST_F(Safetensors, SaveRejectsReservedNames) {
  EXPECT_THROW(save_safetensors(path("x"), {{"__metadata__", zeros({1})}}), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
