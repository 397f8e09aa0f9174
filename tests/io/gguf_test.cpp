// GGUF: MLX's file, round trips (plain, quantized, every metadata kind), GGML block
// types against values worked out by hand from the format, and malformed files.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "io/io_test_helpers.h"

namespace mlxcpp::test {
namespace {

// A little GGUF writer for hand-made files.
class GgufBuilder {
 public:
  GgufBuilder& version(uint32_t v) {
    version_ = v;
    return *this;
  }
  // A metadata entry whose value bytes (after the type) are given raw.
  GgufBuilder& kv(const std::string& key, uint32_t type, const std::string& value) {
    kv_ += str(key) + u32(type) + value;
    ++n_kv_;
    return *this;
  }
  GgufBuilder& tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type,
                      const std::string& bytes) {
    std::string info = str(name) + u32(static_cast<uint32_t>(dims.size()));
    for (auto d : dims) {
      info += u64(d);
    }
    info += u32(type) + u64(data_.size());
    infos_ += info;
    data_ += bytes;
    data_.append((32 - data_.size() % 32) % 32, '\0');
    ++n_tensors_;
    return *this;
  }
  std::string bytes() const {
    std::string h = "GGUF" + u32(version_) + u64(n_tensors_) + u64(n_kv_) + kv_ + infos_;
    h.append((32 - h.size() % 32) % 32, '\0');
    return h + data_;
  }

  static std::string u32(uint32_t v) { return raw(v); }
  static std::string u64(uint64_t v) { return raw(v); }
  static std::string str(const std::string& s) { return u64(s.size()) + s; }
  template <typename T>
  static std::string raw(T v) {
    return std::string(reinterpret_cast<const char*>(&v), sizeof(T));
  }

 private:
  uint32_t version_ = 3;
  uint64_t n_kv_ = 0, n_tensors_ = 0;
  std::string kv_, infos_, data_;
};

std::string f16(float v) {
  return GgufBuilder::raw(float16_t(v).bits_);
}

using Gguf = TempDirTest;

TEST_F(Gguf, LoadsMlxWrittenFileWithMlxsValues) {
  const auto m = read_manifest(fixture("io/mixed.gguf.manifest.tsv"));
  auto [arrays, meta] = load_gguf(fixture("io/mixed.gguf"));
  EXPECT_EQ(static_cast<int>(meta.size()), m.meta_count);
  ASSERT_EQ(arrays.size(), m.tensors.size());
  for (const auto& t : m.tensors) {
    expect_manifest(arrays.at(t.name), t);
  }
}

TEST_F(Gguf, PlainTensorsAndMetadataRoundTrip) {
  std::unordered_map<std::string, array> in{
      {"f32", make_array(random_values(12, -1, 1, 1), {3, 4}, float32)},
      {"f16", make_array(random_values(6, -1, 1, 2), {6}, float16)},
      {"bf16", make_array(random_values(8, -1, 1, 3), {2, 2, 2}, bfloat16)},
      {"f64", make_array(random_values(3, -1, 1, 4), {3}, float64)},
      {"i8", astype(arange(-3, 3), int8)},
      {"i16", astype(arange(5), int16)},
      {"i32", arange(7)},
      {"i64", astype(arange(4), int64)},
  };
  std::unordered_map<std::string, GGUFMetaData> meta{
      {"general.name", std::string("tiny")},
      {"tokenizer.tokens", std::vector<std::string>{"a", "b", "<s>"}},
      {"llama.block_count", array(uint32_t(2))},
      {"llama.rope.freq_base", array(10000.0f)},
      {"ids", array({1, 2, 3})},
      {"flag", array(true)},
      {"big", array(uint64_t(1) << 60)},
  };
  save_gguf(path("m"), in, meta);
  auto [out, meta_out] = load_gguf(path("m.gguf"));
  ASSERT_EQ(out.size(), in.size());
  for (const auto& [name, a] : in) {
    EXPECT_EQ(out.at(name).dtype(), a.dtype()) << name;
    EXPECT_TRUE(array_equal(out.at(name), a).item<bool>()) << name;
  }
  EXPECT_EQ(std::get<std::string>(meta_out.at("general.name")), "tiny");
  EXPECT_EQ(std::get<std::vector<std::string>>(meta_out.at("tokenizer.tokens")),
            (std::vector<std::string>{"a", "b", "<s>"}));
  EXPECT_EQ(std::get<array>(meta_out.at("llama.block_count")).item<uint32_t>(), 2u);
  EXPECT_EQ(std::get<array>(meta_out.at("llama.rope.freq_base")).item<float>(), 10000.0f);
  expect_values<int32_t>(std::get<array>(meta_out.at("ids")), {3}, int32, {1, 2, 3});
  EXPECT_TRUE(std::get<array>(meta_out.at("flag")).item<bool>());
  EXPECT_EQ(std::get<array>(meta_out.at("big")).item<uint64_t>(), uint64_t(1) << 60);
  EXPECT_THROW(save_gguf(path("u8"), {{"u", zeros({2}, uint8)}}), std::invalid_argument);
}

TEST_F(Gguf, QuantizedTensorsRoundTripAsAffineTriplets) {
  const array w = make_array(random_values(4 * 64, -2, 2, 5), {4, 64}, float32);
  for (std::string type : {"Q4_0", "Q4_1", "Q8_0"}) {
    auto q = io::gguf_quantize(w, type);
    const bool eight = type == "Q8_0";
    ASSERT_EQ(q[0].shape(), (Shape{4, eight ? 16 : 8})) << type;
    ASSERT_EQ(q[1].shape(), (Shape{4, 2}));
    save_gguf(path(type),
              {{"blk.0.w.weight", q[0]}, {"blk.0.w.scales", q[1]}, {"blk.0.w.biases", q[2]}});
    auto [out, meta] = load_gguf(path(type + ".gguf"));
    ASSERT_EQ(out.size(), 3u) << type;
    EXPECT_TRUE(array_equal(out.at("blk.0.w.weight"), q[0]).item<bool>()) << type;
    EXPECT_TRUE(array_equal(out.at("blk.0.w.scales"), q[1]).item<bool>()) << type;
    EXPECT_TRUE(array_equal(out.at("blk.0.w.biases"), q[2]).item<bool>()) << type;
    // Dequantized by hand (scale * code + bias) the values stay within half a step.
    const auto words = values<uint32_t>(q[0]);
    const auto sc = values<float>(q[1]);
    const auto bi = values<float>(q[2]);
    const auto wv = values<float>(w);
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 64; ++c) {
        const int bits = eight ? 8 : 4;
        const int per = 32 / bits;
        const uint32_t word = words[r * (64 / per) + c / per];
        const uint32_t code = (word >> (bits * (c % per))) & ((1u << bits) - 1);
        const int g = r * 2 + c / 32;
        const float v = sc[g] * static_cast<float>(code) + bi[g];
        // Q4_0 reaches -8 d on the side of the largest magnitude but only +7 d on the other.
        const float steps = type == "Q4_0" ? 1.01f : 0.51f;
        EXPECT_LE(std::fabs(v - wv[r * 64 + c]), std::fabs(sc[g]) * steps + 2e-3f)
            << type << " at " << r << "," << c;
      }
    }
  }
  // 8-bit triplets with a bias GGUF cannot hold are refused.
  auto q8 = io::gguf_quantize(w, "Q8_0");
  EXPECT_THROW(
      save_gguf(path("bad"),
                {{"x.weight", q8[0]}, {"x.scales", q8[1]}, {"x.biases", zeros_like(q8[2])}}),
      std::invalid_argument);
  EXPECT_THROW(io::gguf_quantize(zeros({3, 20}), "Q4_0"), std::invalid_argument);
  EXPECT_THROW(io::gguf_quantize(zeros({3, 32}), "Q5_K"), std::invalid_argument);
}

// One block of each GGML type with bytes chosen so the values can be worked out by hand.
std::vector<float> load_single(const std::string& file, const std::string& bytes, uint32_t type,
                               uint64_t n) {
  write_bytes(file, GgufBuilder().tensor("t", {n}, type, bytes).bytes());
  auto [arrays, meta] = load_gguf(file);
  if (arrays.count("t.scales")) {  // affine triplet: dequantize by hand
    const auto words = values<uint32_t>(arrays.at("t"));
    const float s = values<float>(arrays.at("t.scales"))[0];
    const float b = values<float>(arrays.at("t.biases"))[0];
    const int bits = static_cast<int>(words.size() * 32 / n);
    std::vector<float> out;
    for (uint64_t i = 0; i < n; ++i) {
      const int per = 32 / bits;
      out.push_back(
          s * static_cast<float>((words[i / per] >> (bits * (i % per))) & ((1u << bits) - 1)) + b);
    }
    return out;
  }
  EXPECT_EQ(arrays.at("t").dtype(), float16);
  return values<float>(arrays.at("t"));
}

TEST_F(Gguf, SimpleBlockTypesDecodeAsTheFormatSays) {
  std::string qs;
  for (int j = 0; j < 16; ++j) {
    qs += static_cast<char>(j | ((15 - j) << 4));
  }
  auto y = load_single(path("q40.gguf"), f16(0.5f) + qs, 2, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f);
    EXPECT_EQ(y[j + 16], (7 - j) * 0.5f);
  }
  qs.clear();
  for (int j = 0; j < 16; ++j) {
    qs += static_cast<char>(j | (j << 4));
  }
  y = load_single(path("q41.gguf"), f16(0.25f) + f16(-1.0f) + qs, 3, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.25f - 1);
    EXPECT_EQ(y[j + 16], j * 0.25f - 1);
  }
  std::string q8;
  for (int j = 0; j < 32; ++j) {
    q8 += static_cast<char>(static_cast<int8_t>(j - 16));
  }
  y = load_single(path("q80.gguf"), f16(2.0f) + q8, 8, 32);
  for (int j = 0; j < 32; ++j) {
    EXPECT_EQ(y[j], 2.0f * (j - 16));
  }
  std::string low;  // low nibble j, high nibble 0
  for (int j = 0; j < 16; ++j) {
    low += static_cast<char>(j);
  }
  // Q5_0: fifth bits set for elements 0..15 only.
  y = load_single(path("q50.gguf"), f16(1.0f) + GgufBuilder::u32(0x0000FFFFu) + low, 6, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], static_cast<float>(j));  // (j | 16) - 16
    EXPECT_EQ(y[j + 16], -16.0f);            // (0 | 0) - 16
  }
  std::string high;  // low nibble 0, high nibble j
  for (int j = 0; j < 16; ++j) {
    high += static_cast<char>(j << 4);
  }
  // Q5_1: fifth bits for elements 16..31, min 0.5.
  y = load_single(path("q51.gguf"), f16(1.0f) + f16(0.5f) + GgufBuilder::u32(0xFFFF0000u) + high, 7,
                  32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f);
    EXPECT_EQ(y[j + 16], static_cast<float>(j | 16) + 0.5f);
  }
}

TEST_F(Gguf, KQuantBlocksDecodeAsTheFormatSays) {
  // Q2_K: scale nibble of group g is g, min nibble 1 (d = 1, dmin = 0.5); every quant byte
  // 0b11100100 gives code k at bit shift 2k.
  std::string q2;
  for (int g = 0; g < 16; ++g) {
    q2 += static_cast<char>(g | (1 << 4));
  }
  q2 += std::string(64, '\xe4') + f16(1.0f) + f16(0.5f);
  auto y = load_single(path("q2k.gguf"), q2, 10, 256);
  for (int g = 0; g < 16; ++g) {
    const float code = static_cast<float>((g % 8) / 2);
    for (int l = 0; l < 16; ++l) {
      EXPECT_EQ(y[16 * g + l], g * code - 0.5f) << "Q2_K group " << g;
    }
  }
  // Q3_K: every 6-bit scale 33 (scale 1 after -32), high-bit mask 0x0F: the first 128
  // values keep their code, the last 128 lose 4.
  std::string q3 = std::string(32, '\x0f') + std::string(64, '\xe4') + std::string(8, '\x11') +
                   std::string(4, '\xaa') + f16(1.0f);
  y = load_single(path("q3k.gguf"), q3, 11, 256);
  for (int g = 0; g < 16; ++g) {
    for (int l = 0; l < 16; ++l) {
      EXPECT_EQ(y[16 * g + l], static_cast<float>((g % 8) / 2 - (g >= 8 ? 4 : 0)))
          << "Q3_K group " << g;
    }
  }
  // Q4_K: sub-blocks 0-3 scale 2, 4-7 scale 3, every min 1 (d = 1, dmin = 0.5); quant
  // bytes 0x21: low nibble 1 for even sub-blocks, high nibble 2 for odd ones.
  const std::string k_scales =
      std::string(4, '\x02') + std::string(4, '\x01') + std::string(4, '\x13');
  y = load_single(path("q4k.gguf"), f16(1.0f) + f16(0.5f) + k_scales + std::string(128, '\x21'), 12,
                  256);
  for (int s = 0; s < 8; ++s) {
    const float scale = s < 4 ? 2.0f : 3.0f;
    const float code = s % 2 == 0 ? 1.0f : 2.0f;
    for (int l = 0; l < 32; ++l) {
      EXPECT_EQ(y[32 * s + l], scale * code - 0.5f) << "Q4_K sub-block " << s;
    }
  }
  // Q5_K: the same with every fifth bit set (+16).
  y = load_single(
      path("q5k.gguf"),
      f16(1.0f) + f16(0.5f) + k_scales + std::string(32, '\xff') + std::string(128, '\x21'), 13,
      256);
  for (int s = 0; s < 8; ++s) {
    const float scale = s < 4 ? 2.0f : 3.0f;
    const float code = (s % 2 == 0 ? 1.0f : 2.0f) + 16.0f;
    for (int l = 0; l < 32; ++l) {
      EXPECT_EQ(y[32 * s + l], scale * code - 0.5f) << "Q5_K sub-block " << s;
    }
  }
  // Q6_K: scales i + 1, low bytes 0x21, high bits 0: codes 1 - 32 and 2 - 32.
  std::string q6 = std::string(128, '\x21') + std::string(64, '\0');
  for (int i = 0; i < 16; ++i) {
    q6 += static_cast<char>(i + 1);
  }
  q6 += f16(1.0f);
  y = load_single(path("q6k.gguf"), q6, 14, 256);
  for (int b = 0; b < 2; ++b) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16 + 8 * b;
      EXPECT_EQ(y[128 * b + l], (is + 1) * -31.0f);
      EXPECT_EQ(y[128 * b + l + 32], (is + 3) * -31.0f);
      EXPECT_EQ(y[128 * b + l + 64], (is + 5) * -30.0f);
      EXPECT_EQ(y[128 * b + l + 96], (is + 7) * -30.0f);
    }
  }
  // Q8_K: float32 scale 0.5, codes j - 128, then 16 int16 sums (unused for values).
  std::string q8k = GgufBuilder::raw(0.5f);
  for (int j = 0; j < 256; ++j) {
    q8k += static_cast<char>(static_cast<int8_t>(j - 128));
  }
  q8k += std::string(32, '\0');
  y = load_single(path("q8k.gguf"), q8k, 15, 256);
  for (int j = 0; j < 256; ++j) {
    EXPECT_EQ(y[j], 0.5f * (j - 128));
  }
}

TEST_F(Gguf, MalformedFilesAreFormatErrors) {
  const std::string f = path("bad.gguf");
  auto check = [&](const std::string& bytes, const std::string& fragment) {
    write_bytes(f, bytes);
    expect_format_error([&] { load_gguf(f); }, fragment);
  };
  const std::string f32x4 = std::string(16, '\0');
  check("GGML" + std::string(20, '\0'), "magic");
  check(GgufBuilder().version(1).bytes(), "version 1");
  check("GGUF" + GgufBuilder::u32(3) + GgufBuilder::u64(1) + GgufBuilder::u64(1ull << 40),
        "more than the file");
  check(GgufBuilder().kv("k", 8, GgufBuilder::u64(1000) + "short").bytes(), "runs past the end");
  check(GgufBuilder().kv("k", 99, "").bytes(), "Unknown metadata value type");
  check(GgufBuilder().kv("k", 7, std::string(1, '\x02')).bytes(), "boolean");
  check(GgufBuilder().kv("k", 4, GgufBuilder::u32(1)).kv("k", 4, GgufBuilder::u32(2)).bytes(),
        "twice");
  check(GgufBuilder().kv("k", 9, GgufBuilder::u32(4) + GgufBuilder::u64(1ull << 50)).bytes(),
        "runs past the end");
  std::string nested;
  for (int i = 0; i < 20; ++i) {
    nested += GgufBuilder::u32(9) + GgufBuilder::u64(1);
  }
  check(GgufBuilder().kv("k", 9, nested + GgufBuilder::u32(4) + GgufBuilder::u64(0)).bytes(),
        "nest deeper");
  check(GgufBuilder()
            .kv("general.alignment", 4, GgufBuilder::u32(3))
            .tensor("t", {4}, 0, f32x4)
            .bytes(),
        "power of two");
  check(GgufBuilder().tensor("t", {4}, 0, f32x4).tensor("t", {4}, 0, f32x4).bytes(), "twice");
  check(GgufBuilder().tensor("t", {4}, 77, f32x4).bytes(), "not supported");
  check(GgufBuilder().tensor("t", {1ull << 40}, 0, f32x4).bytes(), "too large");
  check(GgufBuilder().tensor("t", {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, f32x4).bytes(), "dimensions");
  check(GgufBuilder().tensor("t", {48}, 2, std::string(64, '\0')).bytes(), "multiple of 32");
  // A tensor whose bytes run past the end (the data section holds only 32).
  check(GgufBuilder().tensor("t", {64}, 0, f32x4).bytes(), "outside");
  // Hand-edited offsets: misaligned, and two tensors on the same bytes.
  {
    std::string b = GgufBuilder().tensor("a", {4}, 0, f32x4).tensor("b", {4}, 0, f32x4).bytes();
    const std::string off32 = GgufBuilder::u64(32);
    const size_t at = b.find(off32);
    ASSERT_NE(at, std::string::npos);
    std::string overlap = b;
    overlap.replace(at, 8, GgufBuilder::u64(0));
    check(overlap, "overlap");
    std::string misaligned = b;
    misaligned.replace(at, 8, GgufBuilder::u64(4));
    check(misaligned, "misaligned");
  }
  EXPECT_THROW(load_gguf(path("missing.gguf")), IoError);
}

TEST_F(Gguf, TruncationsAndBitFlipsNeverCrash) {
  save_gguf(path("ok"), {{"a", reshape(arange(8.0f), {2, 4})}, {"b", arange(4)}},
            {{"name", std::string("x")}, {"list", std::vector<std::string>{"p", "q"}}});
  const std::string good = read_bytes(path("ok.gguf"));
  const std::string f = path("cut.gguf");
  for (size_t n = 0; n < good.size(); ++n) {
    write_bytes(f, good.substr(0, n));
    EXPECT_TRUE(fails_cleanly([&] { load_gguf(f); })) << "truncated at " << n;
  }
  std::mt19937 gen(11);
  for (int i = 0; i < 500; ++i) {
    std::string bytes = good;
    bytes[gen() % bytes.size()] ^= static_cast<char>(1 << (gen() % 8));
    write_bytes(f, bytes);
    fails_cleanly([&] { load_gguf(f); });
  }
}

}  // namespace
}  // namespace mlxcpp::test
