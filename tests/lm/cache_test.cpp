// Caches: the quantized KV cache and its attention path against the float cache, prompt
// cache save/load in mlx-lm's format (bit-identical logits after a round trip, errors for a
// file of another model), trim semantics, and transactional updates.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/fast.h"
#include "mlxcpp/lm/attention.h"
#include "mlxcpp/lm/load.h"
#include "mlxcpp/lm/prompt_cache.h"
#include "mlxcpp/mlxcpp.h"
#include "model_folder_test.h"
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

using lm::Cache;

array tokens(const std::vector<int>& ids, size_t from, size_t to) {
  return array(ids.begin() + long(from), {1, int(to - from)}, int32);
}

double max_abs_diff(const array& a, const array& b) {
  array d = max(abs(subtract(astype(a, float32), astype(b, float32))));
  d.eval();
  return d.item<float>();
}

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("mlxcpp_cache_test_" + std::to_string(::getpid()) + "_" + name + ".safetensors"))
      .string();
}

// Logits of prompt[half:] fed one token at a time after a prefill of prompt[:half]; with
// kv_bits, the standard caches are quantized once they hold `start` tokens (mlx-lm's
// maybe_quantize_kv_cache, called before each step as generate_step does).
array decode(lm::Model& m, const std::vector<int>& prompt, std::optional<int> kv_bits,
             int group_size, int start, Cache* out_cache = nullptr) {
  Cache cache = m.make_cache();
  const size_t half = prompt.size() / 2;
  std::vector<array> parts;
  parts.push_back(m(tokens(prompt, 0, half), &cache));
  for (size_t i = half; i < prompt.size(); ++i) {
    if (kv_bits) {
      lm::maybe_quantize_kv_cache(cache, start, group_size, *kv_bits);
    }
    parts.push_back(m(tokens(prompt, i, i + 1), &cache));
  }
  if (out_cache) {
    *out_cache = std::move(cache);
  }
  return concatenate(parts, 1);
}

// ------------------------------------------------------------------ quantized attention

// The quantized path computes exactly attention over the dequantized keys/values: compare
// with fast::sdpa on dequantize(quantize(k)) (float32 rounding differences only).
TEST(QuantizedAttention, EqualsFloatAttentionOverDequantizedKeysAndValues) {
  const array q = random::normal({1, 4, 5, 32}, float32, 0, 1, random::key(1));
  const array k = random::normal({1, 2, 9, 32}, float32, 0, 1, random::key(2));
  const array v = random::normal({1, 2, 9, 32}, float32, 0, 1, random::key(3));
  for (int bits : {4, 8}) {
    const auto qk = quantize(k, 32, bits);
    const auto qv = quantize(v, 32, bits);
    const array dk = dequantize(qk[0], qk[1], qk[2], 32, bits);
    const array dv = dequantize(qv[0], qv[1], qv[2], 32, bits);
    for (const char* mode : {"causal", ""}) {
      const array want = fast::scaled_dot_product_attention(q, dk, dv, 0.2f, mode);
      const array got = lm::quantized_attention(q, {qk[0], qk[1], qk[2]}, {qv[0], qv[1], qv[2]},
                                                0.2f, {mode, std::nullopt}, 32, bits);
      ASSERT_EQ(got.shape(), (Shape{1, 4, 5, 32}));
      EXPECT_LE(max_abs_diff(got, want), 2e-6) << bits << " bits, mask '" << mode << "'";
    }
  }
}

TEST(QuantizedKVCache, ConvertsStandardCachesOnceTheyReachTheStart) {
  auto m = lm::load(fixture("lm/qwen3"));
  const auto prompt = fixture_prompt("qwen3");
  Cache cache = m.model->make_cache();
  (*m.model)(tokens(prompt, 0, 10), &cache);
  lm::maybe_quantize_kv_cache(cache, 11, 32, 8);  // not yet: 10 tokens < 11
  EXPECT_EQ(cache[0]->class_name(), "KVCache");
  lm::maybe_quantize_kv_cache(cache, 10, 32, 8);
  for (const auto& c : cache) {
    EXPECT_EQ(c->class_name(), "QuantizedKVCache");
    EXPECT_EQ(c->offset(), 10);
  }
  EXPECT_THROW(cache[0]->update_and_fetch(zeros({1, 2, 1, 32}), zeros({1, 2, 1, 32})),
               std::invalid_argument);
  // A bad bit width converts nothing.
  Cache fresh = m.model->make_cache();
  EXPECT_THROW(lm::maybe_quantize_kv_cache(fresh, 0, 32, 7), std::invalid_argument);
  EXPECT_EQ(fresh[0]->class_name(), "KVCache");
}

// Deviation of token-by-token decoding with a quantized cache from the full float forward.
// Affine codes round each key/value to 1/(2^bits - 1) of its group's range; these random-
// weight models have large keys (q.k scores of tens), so that rounding moves scores, and the
// logits (up to ~21) after them, measurably: 0.152 at 8 bits and 3.48 at 4 bits, measured.
// The 4-bit / 8-bit ratio (~23) follows the ratio of the rounding steps (255 / 15 = 17),
// which marks the deviation as quantization noise, not a cache error (a wrong position or a
// stale key would not shrink with more bits). Bounds: 8-bit <= 0.25 (measured + ~60%,
// < 1.3% of the logit range); 4-bit <= 5; and the 4-bit deviation at least 8x the 8-bit one.
TEST(QuantizedKVCache, DecodingStaysCloseToTheFloatForward) {
  auto m = lm::load(fixture("lm/qwen3"));
  const auto prompt = fixture_prompt("qwen3");
  const array full = (*m.model)(tokens(prompt, 0, prompt.size()), nullptr);
  const size_t half = prompt.size() / 2;
  const array tail = slice(full, {0, int(half), 0}, {1, int(prompt.size()), 512});
  const array float_steps = decode(*m.model, prompt, std::nullopt, 32, 0);
  EXPECT_LE(max_abs_diff(float_steps, full), 2e-4);  // the qwen3 folder's logits tolerance

  Cache c8;
  const array q8 = decode(*m.model, prompt, 8, 32, 8, &c8);
  EXPECT_EQ(c8[0]->class_name(), "QuantizedKVCache");
  EXPECT_EQ(c8[0]->offset(), int(prompt.size()));
  const double d8 = max_abs_diff(slice(q8, {0, int(half), 0}, {1, int(prompt.size()), 512}), tail);
  EXPECT_GT(d8, 0.0);  // the quantized path really ran
  EXPECT_LE(d8, 0.25);

  const array q4 = decode(*m.model, prompt, 4, 32, 0);
  const double d4 = max_abs_diff(slice(q4, {0, int(half), 0}, {1, int(prompt.size()), 512}), tail);
  EXPECT_GE(d4, 8 * d8);
  EXPECT_LE(d4, 5.0);
  std::printf("[measured] qwen3 quantized KV cache max |logit deviation|: 8-bit %.3g, 4-bit %.3g\n",
              d8, d4);
}

// The float attention path over exactly what a quantized cache holds: the keys and values
// a step passes in are dropped, and the real cache's contents (which the same step, run
// through the real cache first, has already appended to) come back dequantized. Feeding
// this path its own dequantize(quantize(k)) instead lets float32 rounding upstream move a
// key across an 8-bit rounding boundary, and one code's difference (one scale step) then
// dwarfs the rounding this test bounds.
class DequantizedView : public lm::CopyableLayerCache<DequantizedView> {
 public:
  explicit DequantizedView(const lm::QuantizedKVCache* real) : real_(real) {}
  int offset() const override { return offset_; }
  std::pair<array, array> update_and_fetch(const array& k, const array&) override {
    offset_ += k.shape(2);
    const auto s = real_->state();
    if (real_->offset() != offset_) {
      throw std::logic_error("DequantizedView: run the real cache's step first");
    }
    auto part = [&](const char* which) {
      const std::string w(which);
      return dequantize(s.at(w + ".0"), s.at(w + ".1"), s.at(w + ".2"), real_->group_size(),
                        real_->bits());
    };
    return {part("0"), part("1")};
  }
  bool is_trimmable() const override { return false; }
  int trim(int) override { return 0; }
  std::string class_name() const override { return "DequantizedView"; }
  lm::CacheState state() const override { return {}; }
  std::vector<std::string> meta_state() const override { return {}; }
  void set_state(const lm::CacheState&, const std::vector<std::string>&,
                 const std::string&) override {}

 private:
  const lm::QuantizedKVCache* real_;
  int offset_ = 0;
};

// The whole model through the quantized cache equals the float path over the dequantized
// keys/values (float32 rounding only): the deviation above is the codes' rounding alone.
TEST(QuantizedKVCache, EqualsFloatDecodingOverDequantizedKeysAndValues) {
  auto m = lm::load(fixture("lm/qwen3"));
  const auto prompt = fixture_prompt("qwen3");
  Cache real = m.model->make_cache();
  lm::maybe_quantize_kv_cache(real, 0, 32, 8);
  Cache view;
  for (const auto& c : real) {
    const auto* q = dynamic_cast<const lm::QuantizedKVCache*>(c.get());
    ASSERT_NE(q, nullptr);
    view.push_back(std::make_unique<DequantizedView>(q));
  }
  for (size_t i = 0; i < prompt.size(); ++i) {
    array b = (*m.model)(tokens(prompt, i, i + 1), &real);
    b.eval();
    const array a = (*m.model)(tokens(prompt, i, i + 1), &view);
    // The same dequantized values through the float attention path: rounding only.
    ASSERT_LE(max_abs_diff(a, b), 1e-4) << "step " << i;
  }
}

// Gemma 3: global layers quantize, sliding-window layers keep their rotating caches.
TEST(QuantizedKVCache, RunsInGemmaAttention) {
  auto m = lm::load(fixture("lm/gemma3_text"));
  const auto prompt = fixture_prompt("gemma3_text");
  const array full = (*m.model)(tokens(prompt, 0, prompt.size()), nullptr);
  Cache c;
  const array q8 = decode(*m.model, prompt, 8, 32, 0, &c);
  EXPECT_EQ(c[0]->class_name(), "RotatingKVCache");
  EXPECT_EQ(c[2]->class_name(), "QuantizedKVCache");
  // Measured 0.047; the 8-bit bound justified for qwen3 above.
  EXPECT_LE(max_abs_diff(q8, full), 0.25);
}

TEST(QuantizedKVCache, GemmaTwoSoftCappingRefusesIt) {
  auto m = lm::load(fixture("lm/gemma2"));
  Cache c = m.model->make_cache();
  (*m.model)(tokens(fixture_prompt("gemma2"), 0, 4), &c);
  lm::maybe_quantize_kv_cache(c, 0, 32, 8);
  bool quantized = false;
  for (const auto& l : c) {
    quantized = quantized || l->class_name() == "QuantizedKVCache";
  }
  ASSERT_TRUE(quantized);
  EXPECT_THROW((*m.model)(tokens(fixture_prompt("gemma2"), 4, 5), &c), Unsupported);
}

// ------------------------------------------------------------------------ prompt cache

// Prefill, save, load; the next steps' logits from the original and the loaded cache are
// bit-identical.
void expect_round_trip(const std::string& folder, std::optional<int> kv_bits) {
  SCOPED_TRACE(folder);
  auto m = lm::load(fixture("lm/" + folder));
  const auto prompt = fixture_prompt(folder);
  const size_t n = prompt.size() - 4;
  Cache cache = m.model->make_cache();
  (*m.model)(tokens(prompt, 0, n), &cache);
  if (kv_bits) {
    lm::maybe_quantize_kv_cache(cache, 0, 32, *kv_bits);
  }
  const std::string file = temp_file(folder);
  lm::save_prompt_cache(file, cache, {{"model", folder}});
  std::unordered_map<std::string, std::string> meta;
  Cache loaded = lm::load_prompt_cache(file, *m.model, &meta);
  std::filesystem::remove(file);
  EXPECT_EQ(meta.at("model"), folder);
  ASSERT_EQ(loaded.size(), cache.size());
  for (size_t i = 0; i < cache.size(); ++i) {
    EXPECT_EQ(loaded[i]->class_name(), cache[i]->class_name());
    EXPECT_EQ(loaded[i]->offset(), cache[i]->offset());
    EXPECT_EQ(loaded[i]->meta_state(), cache[i]->meta_state());
  }
  for (size_t i = n; i < prompt.size(); ++i) {
    const array a = (*m.model)(tokens(prompt, i, i + 1), &cache);
    const array b = (*m.model)(tokens(prompt, i, i + 1), &loaded);
    EXPECT_EQ(max_abs_diff(a, b), 0.0) << "step " << i;
  }
}

TEST(PromptCache, StandardCacheRoundTripIsBitIdentical) {
  expect_round_trip("qwen3", {});
}
TEST(PromptCache, QuantizedCacheRoundTripIsBitIdentical) {
  expect_round_trip("qwen3", 8);
}
// 27 tokens through a window of 8: the rotating caches have wrapped.
TEST(PromptCache, RotatingCacheRoundTripIsBitIdentical) {
  expect_round_trip("gemma3_text", {});
}
TEST(PromptCache, ConvStateRoundTripIsBitIdentical) {
  expect_round_trip("lfm2", {});
}

TEST(PromptCache, FileOfAnotherModelIsAClearError) {
  auto lfm2 = lm::load(fixture("lm/lfm2"));
  auto llama = lm::load(fixture("lm/llama"));
  auto qwen3 = lm::load(fixture("lm/qwen3"));
  Cache c = lfm2.model->make_cache();
  (*lfm2.model)(tokens(fixture_prompt("lfm2"), 0, 5), &c);
  const std::string file = temp_file("lfm2_other");
  lm::save_prompt_cache(file, c);
  try {
    lm::load_prompt_cache(file, *llama.model);  // 3 layers vs 4
    ADD_FAILURE() << "expected a FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("the file has 4 layers; this model has 3"),
              std::string::npos)
        << e.what();
  }
  // Same layer count (4 = lfm2's) through a 4-layer standard model: a class mismatch.
  auto gemma3 = lm::load(fixture("lm/gemma3_text"));
  try {
    lm::load_prompt_cache(file, *gemma3.model);
    ADD_FAILURE() << "expected a FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("layer 0 holds a ArraysCache"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove(file);
  // Not a prompt cache at all: a model's weights.
  EXPECT_THROW(lm::load_prompt_cache(fixture("lm/qwen3/model.safetensors"), *qwen3.model),
               FormatError);
}

// mlx-lm's RotatingKVCache saves its ring buffer as is, with _idx at the oldest entry.
TEST(PromptCache, RotatedMlxLmStateComesBackInTemporalOrder) {
  lm::RotatingKVCache c(4);
  // Positions 2..5 stored as [4, 5, 2, 3] with _idx = 2, offset 6.
  const array ring = reshape(array({4.0f, 5.0f, 2.0f, 3.0f}), {1, 1, 4, 1});
  c.set_state({{"0", ring}, {"1", ring}}, {"0", "4", "6", "2"}, "test");
  EXPECT_EQ(c.offset(), 6);
  EXPECT_FALSE(c.is_trimmable());
  const auto [k, v] = c.update_and_fetch(full({1, 1, 1, 1}, 6.0f), full({1, 1, 1, 1}, 6.0f));
  EXPECT_EQ(values<float>(k), (std::vector<float>{3, 4, 5, 6}));
  EXPECT_THROW(c.set_state({{"0", ring}, {"1", ring}}, {"0", "5", "6", "2"}, "test"),
               FormatError);  // another window
  EXPECT_THROW(c.set_state({{"0", ring}, {"1", ring}}, {"0", "4", "x", "2"}, "test"), FormatError);
  EXPECT_EQ(c.offset(), 7);  // unchanged by the failed loads
}

// Older mlx-lm RotatingKVCache meta_state had the step too: {keep, max_size, step, offset,
// _idx}. An offset the next tokens would overflow is an error.
TEST(PromptCache, RotatingMetaWithTheStepAndHugeOffsets) {
  lm::RotatingKVCache c(4);
  const array ring = reshape(array({4.0f, 5.0f, 2.0f, 3.0f}), {1, 1, 4, 1});
  c.set_state({{"0", ring}, {"1", ring}}, {"0", "4", "256", "6", "2"}, "test");
  EXPECT_EQ(c.offset(), 6);
  const auto [k, v] = c.update_and_fetch(full({1, 1, 1, 1}, 6.0f), full({1, 1, 1, 1}, 6.0f));
  EXPECT_EQ(values<float>(k), (std::vector<float>{3, 4, 5, 6}));
  EXPECT_THROW(c.set_state({{"0", ring}, {"1", ring}}, {"0", "4", "x", "6", "2"}, "test"),
               FormatError);
  EXPECT_THROW(c.set_state({{"0", ring}, {"1", ring}}, {"0", "4", "2000000000", "2"}, "test"),
               FormatError);
  EXPECT_EQ(c.offset(), 7);
}

// A prompt cache file's tensors and metadata, to edit into other files.
struct RawCacheFile {
  std::unordered_map<std::string, array> arrays;
  std::unordered_map<std::string, std::string> meta;
};

RawCacheFile saved(const lm::LoadedModel& m, const std::string& folder, int n) {
  Cache c = m.model->make_cache();
  (*m.model)(tokens(fixture_prompt(folder), 0, n), &c);
  const std::string file = temp_file(folder + "_raw");
  lm::save_prompt_cache(file, c);
  auto [arrays, meta] = load_safetensors(file);
  std::filesystem::remove(file);
  return {{arrays.begin(), arrays.end()}, {meta.begin(), meta.end()}};
}

std::string written(const RawCacheFile& f, const std::string& name) {
  const std::string file = temp_file(name);
  save_safetensors(file, f.arrays, f.meta);
  return file;
}

void expect_format_error(const std::string& file, const lm::Model& model,
                         const std::string& fragment) {
  try {
    lm::load_prompt_cache(file, model);
    ADD_FAILURE() << "expected a FormatError with '" << fragment << "'";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
  std::filesystem::remove(file);
}

// mlx-lm before 2026-08 saved an ArraysCache as its bare list ("<layer>.0"); such a file
// loads and continues exactly as the current layout does.
TEST(PromptCache, LegacyConvStateLayoutLoads) {
  auto m = lm::load(fixture("lm/lfm2"));
  const auto prompt = fixture_prompt("lfm2");
  RawCacheFile f = saved(m, "lfm2", 5);
  RawCacheFile legacy = f;
  int converted = 0;
  for (const auto& [name, a] : f.arrays) {
    if (name.ends_with(".0.0")) {  // a conv layer: "<layer>.0.0", "<layer>.1", "<layer>.2"
      const std::string layer = name.substr(0, name.size() - 4);
      legacy.arrays.erase(name);
      legacy.arrays.erase(layer + ".1");
      legacy.arrays.erase(layer + ".2");
      legacy.arrays.insert_or_assign(layer + ".0", a);
      ++converted;
    }
  }
  ASSERT_GT(converted, 0);
  Cache now = lm::load_prompt_cache(written(f, "lfm2_now"), *m.model);
  Cache old = lm::load_prompt_cache(written(legacy, "lfm2_legacy"), *m.model);
  const array a = (*m.model)(tokens(prompt, 5, 6), &now);
  const array b = (*m.model)(tokens(prompt, 5, 6), &old);
  EXPECT_EQ(max_abs_diff(a, b), 0.0);
}

// A conv state with batch padding / lengths set (a batch of sequences) names what it lacks,
// with or without a state array beside it.
TEST(PromptCache, BatchPaddingOfAConvStateIsAClearError) {
  for (const bool with_state : {false, true}) {
    lm::ArraysCache c(1);
    lm::CacheState s{{"1", ones({2})}, {"2", ones({2})}};
    if (with_state) {
      s.emplace("0.0", ones({1, 2, 4}));
    }
    try {
      c.set_state(s, {}, "test");
      ADD_FAILURE() << "expected a FormatError";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("padding/lengths are not supported"), std::string::npos)
          << e.what();
    }
    EXPECT_FALSE(c.get(0).has_value());
  }
}

// Layers that hold different token counts, or a conv state missing while the attention
// layers hold tokens, would continue silently wrong: both are errors.
TEST(PromptCache, LayersMustAgreeOnWhatTheyHold) {
  auto qwen3 = lm::load(fixture("lm/qwen3"));
  RawCacheFile f = saved(qwen3, "qwen3", 6);
  for (const char* kv : {"1.0", "1.1"}) {
    f.arrays.insert_or_assign(kv,
                              slice(f.arrays.at(kv), {0, 0, 0, 0},
                                    {1, f.arrays.at(kv).shape(1), 5, f.arrays.at(kv).shape(3)}));
  }
  expect_format_error(written(f, "qwen3_uneven"), *qwen3.model, "layer 1 holds 5 tokens");

  auto lfm2 = lm::load(fixture("lm/lfm2"));
  RawCacheFile g = saved(lfm2, "lfm2", 5);
  std::string conv;
  for (const auto& [name, a] : g.arrays) {
    if (name.ends_with(".0.0")) {
      conv = name;
    }
  }
  ASSERT_FALSE(conv.empty());
  g.arrays.erase(conv);
  expect_format_error(written(g, "lfm2_no_state"), *lfm2.model, "state 0 is missing");
}

// mlx-lm's Gemma 2 has no make_cache: every layer is a KVCache. Such a file continues here
// exactly as our own cache does while it fits the sliding window (8), and is a clear error
// past it.
TEST(PromptCache, MlxLmGemmaTwoFullCachesLoadWhileTheyFitTheWindow) {
  auto m = lm::load(fixture("lm/gemma2"));
  const auto prompt = fixture_prompt("gemma2");
  for (const int n : {6, 12}) {
    Cache full;  // as mlx-lm builds it
    for (size_t i = 0; i < m.model->make_cache().size(); ++i) {
      full.push_back(std::make_unique<lm::KVCache>());
    }
    (*m.model)(tokens(prompt, 0, n), &full);
    const std::string file = temp_file("gemma2_full");
    lm::save_prompt_cache(file, full);
    if (n > 8) {
      expect_format_error(file, *m.model, "attends over the last 8");
      continue;
    }
    auto [arrays, meta] = load_safetensors(file);
    meta.erase("0.0");
    meta.emplace("0.0.0", "7");  // a meta state a KVCache does not have
    const std::string odd = temp_file("gemma2_full_meta");
    save_safetensors(odd, {arrays.begin(), arrays.end()}, {meta.begin(), meta.end()});
    expect_format_error(odd, *m.model, "KVCache has no meta_state");
    Cache loaded = lm::load_prompt_cache(file, *m.model);
    std::filesystem::remove(file);
    EXPECT_EQ(loaded[0]->class_name(), "RotatingKVCache");
    Cache own = m.model->make_cache();
    (*m.model)(tokens(prompt, 0, n), &own);
    for (int i = n; i < n + 4; ++i) {  // past the window: the rotating layers drop keys
      const array a = (*m.model)(tokens(prompt, i, i + 1), &own);
      const array b = (*m.model)(tokens(prompt, i, i + 1), &loaded);
      EXPECT_EQ(max_abs_diff(a, b), 0.0) << "step " << i;
    }
  }
}

// ------------------------------------------------------------------------------ trim

TEST(CacheTrim, TrimmedStandardCacheRedecodesTheSameLogits) {
  auto m = lm::load(fixture("lm/qwen3"));
  const auto prompt = fixture_prompt("qwen3");
  const array full = (*m.model)(tokens(prompt, 0, 12), nullptr);
  Cache c = m.model->make_cache();
  (*m.model)(tokens(prompt, 0, 12), &c);
  ASSERT_TRUE(lm::can_trim_prompt_cache(c));
  EXPECT_EQ(lm::trim_prompt_cache(c, 3), 3);
  EXPECT_EQ(c[0]->offset(), 9);
  const array again = (*m.model)(tokens(prompt, 9, 12), &c);
  // The qwen3 folder's logits tolerance (cached decoding vs the full forward).
  EXPECT_LE(max_abs_diff(again, slice(full, {0, 9, 0}, {1, 12, 512})), 2e-4);
  EXPECT_EQ(lm::trim_prompt_cache(c, 100), 12);  // at most offset
  EXPECT_THROW(c[0]->trim(-1), std::invalid_argument);
}

TEST(CacheTrim, RotatingOnlyBeforeItWrapsAndConvNever) {
  lm::RotatingKVCache r(4);
  r.update_and_fetch(zeros({1, 1, 3, 2}), zeros({1, 1, 3, 2}));
  EXPECT_TRUE(r.is_trimmable());
  EXPECT_EQ(r.trim(2), 2);
  EXPECT_EQ(r.offset(), 1);
  r.update_and_fetch(zeros({1, 1, 4, 2}), zeros({1, 1, 4, 2}));
  EXPECT_FALSE(r.is_trimmable());
  EXPECT_EQ(r.trim(1), 0);
  EXPECT_EQ(r.offset(), 5);

  auto m = lm::load(fixture("lm/lfm2"));
  Cache c = m.model->make_cache();
  (*m.model)(tokens(fixture_prompt("lfm2"), 0, 6), &c);
  EXPECT_FALSE(lm::can_trim_prompt_cache(c));
  EXPECT_EQ(lm::trim_prompt_cache(c, 2), 0);
  for (const auto& l : c) {
    EXPECT_EQ(l->offset(), 6);
  }
}

// -------------------------------------------------------------------- transactional

TEST(CacheTransactions, RestoreTakesOnlyASnapshotOfItsOwnClass) {
  lm::KVCache kv;
  const array k = ones({1, 2, 3, 4});
  kv.update_and_fetch(k, k);
  const auto snapshot = kv.clone();
  kv.update_and_fetch(k, k);
  ASSERT_EQ(kv.offset(), 6);
  EXPECT_THROW(kv.restore(lm::RotatingKVCache(8)), std::invalid_argument);
  EXPECT_EQ(kv.offset(), 6);
  kv.restore(*snapshot);
  EXPECT_EQ(kv.offset(), 3);
  EXPECT_EQ(kv.update_and_fetch(k, k).first.shape(), (Shape{1, 2, 6, 4}));
}

TEST(CacheTransactions, FailedUpdateLeavesTheCacheAsItWas) {
  const array k = random::normal({1, 2, 3, 32}, float32, 0, 1, random::key(4));
  lm::KVCache c(2);
  const auto first = c.update_and_fetch(k, k);
  // Another head dimension: slice_update refuses it while the graph is built.
  EXPECT_THROW(c.update_and_fetch(zeros({1, 2, 1, 16}), zeros({1, 2, 1, 16})),
               std::invalid_argument);
  EXPECT_EQ(c.offset(), 3);
  const auto [k2, v2] = c.update_and_fetch(k, k);
  EXPECT_EQ(k2.shape(), (Shape{1, 2, 6, 32}));
  EXPECT_EQ(max_abs_diff(slice(k2, {0, 0, 0, 0}, {1, 2, 3, 32}), first.first), 0.0);

  lm::QuantizedKVCache q(32, 8);
  q.update_and_fetch_quantized(k, k);
  EXPECT_THROW(q.update_and_fetch_quantized(zeros({1, 2, 1, 20}), zeros({1, 2, 1, 20})),
               std::invalid_argument);  // 20 is not a multiple of the group
  EXPECT_EQ(q.offset(), 3);
  EXPECT_EQ(q.update_and_fetch_quantized(k, k).first[0].shape(2), 6);

  // LFM2's conv layer: a wrong batch size fails before its state changes.
  auto m = lm::load(fixture("lm/lfm2"));
  Cache cache = m.model->make_cache();
  (*m.model)(tokens(fixture_prompt("lfm2"), 0, 4), &cache);
  auto* conv = dynamic_cast<lm::ArraysCache*>(cache[0].get());
  ASSERT_NE(conv, nullptr);
  const std::vector<float> before = values<float>(*conv->get(0));
  const array two_rows = zeros({2, 1}, int32);
  EXPECT_ANY_THROW((*m.model)(two_rows, &cache));
  EXPECT_EQ(conv->offset(), 4);
  EXPECT_EQ(values<float>(*conv->get(0)), before);
}

// A step that fails at a later layer leaves the earlier layers' caches as they were.
TEST(CacheTransactions, FailedModelStepLeavesEveryLayerAsItWas) {
  auto m = lm::load(fixture("lm/lfm2"));
  const auto prompt = fixture_prompt("lfm2");
  Cache cache = m.model->make_cache();
  (*m.model)(tokens(prompt, 0, 4), &cache);
  auto* conv = dynamic_cast<lm::ArraysCache*>(cache[0].get());
  ASSERT_NE(conv, nullptr);
  const std::vector<float> before = values<float>(*conv->get(0));
  // Layer 2 (attention) now holds keys of another head size: the step fails there, after
  // the conv layers 0 and 1 have run.
  const lm::CacheState saved = cache[2]->state();
  cache[2]->set_state({{"0", zeros({1, 2, 4, 8})}, {"1", zeros({1, 2, 4, 8})}}, {}, "test");
  EXPECT_THROW((*m.model)(tokens(prompt, 4, 5), &cache), std::invalid_argument);
  EXPECT_EQ(cache[0].get(), conv);  // the same objects, restored in place
  EXPECT_EQ(conv->offset(), 4);
  EXPECT_EQ(cache[1]->offset(), 4);
  EXPECT_EQ(values<float>(*conv->get(0)), before);
  // With layer 2 put back, decoding goes on as if nothing had happened.
  cache[2]->set_state(saved, {}, "test");
  const array step = (*m.model)(tokens(prompt, 4, 5), &cache);
  const array full = (*m.model)(tokens(prompt, 0, 5), nullptr);
  // The lfm2 folder's logits tolerance (cached decoding vs the full forward).
  EXPECT_LE(max_abs_diff(step, slice(full, {0, 4, 0}, {1, 5, 512})), 5e-4);
}

}  // namespace
}  // namespace mlxcpp::test
