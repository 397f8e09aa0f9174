// fast::rms_norm, layer_norm, rope and scaled_dot_product_attention against MLX's
// outputs (tests/fixtures/core/fast) and against fast::reference (the same
// computation with basic ops) on random inputs, plus every argument error.
#include <gtest/gtest.h>

#include <cmath>

#include "fixture_index.h"

namespace mlxcpp::test {
namespace {

namespace fx = mlxcpp::fast;

array random_array(const Shape& shape, Dtype dtype, uint32_t seed, double lo = -1, double hi = 1) {
  size_t n = 1;
  for (auto d : shape) {
    n *= d;
  }
  return make_array(random_values(n, lo, hi, seed), shape, dtype);
}

void expect_near_all(const array& got, const array& expected, double atol,
                     const std::string& what) {
  ASSERT_EQ(got.shape(), expected.shape()) << what;
  ASSERT_EQ(got.dtype(), expected.dtype()) << what;
  const auto g = values<double>(got);
  const auto e = values<double>(expected);
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double d = std::isnan(e[i]) && std::isnan(g[i]) ? 0 : std::fabs(g[i] - e[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  EXPECT_LE(worst, atol) << what << ": worst at " << at << " got " << g[at] << " expected "
                         << e[at];
}

double atol_of(const nlohmann::json& c) {
  return c["tolerance"]["atol"].get<double>();
}

// ------------------------------------------------------------------ fixtures

TEST(FastFixtures, NormsMatchMlx) {
  int checked = 0;
  for (auto& c : fixture_cases("fast", "fast.rms_norm")) {
    const array x = fixture_array(c["inputs"]["x"]);
    std::optional<array> w;
    if (c["inputs"].contains("weight")) {
      w = fixture_array(c["inputs"]["weight"]);
    }
    expect_near_all(fx::rms_norm(x, w, c["args"]["eps"].get<float>()),
                    fixture_array(c["outputs"]["y"]), atol_of(c), c["id"]);
    ++checked;
  }
  for (auto& c : fixture_cases("fast", "fast.layer_norm")) {
    const array x = fixture_array(c["inputs"]["x"]);
    std::optional<array> w, b;
    if (c["inputs"].contains("weight")) {
      w = fixture_array(c["inputs"]["weight"]);
    }
    if (c["inputs"].contains("bias")) {
      b = fixture_array(c["inputs"]["bias"]);
    }
    expect_near_all(fx::layer_norm(x, w, b, c["args"]["eps"].get<float>()),
                    fixture_array(c["outputs"]["y"]), atol_of(c), c["id"]);
    ++checked;
  }
  EXPECT_EQ(checked, 16);
}

TEST(FastFixtures, RopeMatchesMlx) {
  int checked = 0;
  for (auto& c : fixture_cases("fast", "fast.rope")) {
    const auto& a = c["args"];
    const array x = fixture_array(c["inputs"]["x"]);
    std::optional<float> base;
    if (!a["base"].is_null()) {
      base = a["base"].get<float>();
    }
    std::optional<array> freqs;
    if (c["inputs"].contains("freqs")) {
      freqs = fixture_array(c["inputs"]["freqs"]);
    }
    const array y = c["inputs"].contains("offset")
                        ? fx::rope(x, a["dims"], a["traditional"], base, a["scale"].get<float>(),
                                   fixture_array(c["inputs"]["offset"]), freqs)
                        : fx::rope(x, a["dims"], a["traditional"], base, a["scale"].get<float>(),
                                   a["offset"].get<int>(), freqs);
    expect_near_all(y, fixture_array(c["outputs"]["y"]), atol_of(c), c["id"]);
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}

TEST(FastFixtures, AttentionMatchesMlx) {
  int checked = 0;
  for (auto& c : fixture_cases("fast", "fast.scaled_dot_product_attention")) {
    const auto& in = c["inputs"];
    const std::string kind = c["args"]["mask"];
    std::string mode;
    std::optional<array> mask;
    if (kind == "causal") {
      mode = "causal";
    } else if (in.contains("mask")) {
      mode = "array";
      mask = fixture_array(in["mask"]);
    }
    std::optional<array> sinks;
    if (in.contains("sinks")) {
      sinks = fixture_array(in["sinks"]);
    }
    const array y = fx::scaled_dot_product_attention(
        fixture_array(in["q"]), fixture_array(in["k"]), fixture_array(in["v"]),
        c["args"]["scale"].get<float>(), mode, mask, sinks);
    expect_near_all(y, fixture_array(c["outputs"]["y"]), atol_of(c), c["id"]);
    ++checked;
  }
  EXPECT_EQ(checked, 40);
}

// ---------------------------------------------------- fused vs basic ops

TEST(FastNorms, FusedMatchesReference) {
  for (Dtype dt : {float32, float16, bfloat16, float64}) {
    const double tol = dt == float32 ? 2e-6 : dt == float64 ? 1e-12 : dt == float16 ? 4e-3 : 3e-2;
    for (int d : {1, 7, 64, 4096}) {
      const array x = random_array({3, 5, d}, dt, d, -3, 3);
      const array w = random_array({d}, dt, d + 1);
      const array b = random_array({d}, dt, d + 2);
      const std::string tag = std::string(dtype_name(dt)) + " d=" + std::to_string(d);
      expect_near_all(fx::rms_norm(x, w, 1e-5f), fx::reference::rms_norm(x, w, 1e-5f), tol, tag);
      expect_near_all(fx::rms_norm(x, std::nullopt, 1e-6f),
                      fx::reference::rms_norm(x, std::nullopt, 1e-6f), tol, tag);
      expect_near_all(fx::layer_norm(x, w, b, 1e-5f), fx::reference::layer_norm(x, w, b, 1e-5f),
                      tol, tag);
      expect_near_all(fx::layer_norm(x, std::nullopt, b, 1e-5f),
                      fx::reference::layer_norm(x, std::nullopt, b, 1e-5f), tol, tag);
    }
  }
  // A transposed input, and a float32 weight promoting a float16 input.
  const array x = transpose(random_array({64, 6}, float32, 9));
  expect_near_all(fx::rms_norm(x, std::nullopt, 1e-5f),
                  fx::reference::rms_norm(x, std::nullopt, 1e-5f), 2e-6, "transposed");
  const array y =
      fx::rms_norm(random_array({2, 8}, float16, 10), random_array({8}, float32, 11), 1e-5f);
  EXPECT_EQ(y.dtype(), float32);
}

TEST(FastNorms, KnownValues) {
  // rms([3, 4]) = sqrt(12.5): y = [3, 4] / 3.5355 ...
  expect_close(fx::rms_norm(array({3.0f, 4.0f}), std::nullopt, 0.0f),
               {3 / std::sqrt(12.5), 4 / std::sqrt(12.5)}, 1e-6);
  // layer norm of [1, 2, 3]: mean 2, var 2/3.
  expect_close(fx::layer_norm(array({1.0f, 2.0f, 3.0f}), std::nullopt, std::nullopt, 0.0f),
               {-std::sqrt(1.5), 0, std::sqrt(1.5)}, 1e-6);
}

TEST(FastRope, FusedMatchesReference) {
  for (Dtype dt : {float32, float16, bfloat16}) {
    const double tol = dt == float32 ? 1e-5 : dt == float16 ? 4e-3 : 3e-2;
    for (bool traditional : {false, true}) {
      for (int dims : {32, 64}) {
        const array x = random_array({2, 3, 17, 64}, dt, dims + traditional);
        const std::string tag = std::string(dtype_name(dt)) + (traditional ? " trad" : "") +
                                " dims=" + std::to_string(dims);
        expect_near_all(fx::rope(x, dims, traditional, 10000.0f, 1.0f, 5),
                        fx::reference::rope(x, dims, traditional, 10000.0f, 1.0f, array(5)), tol,
                        tag);
        // Offsets per batch entry, a scale, custom frequencies.
        const array offsets = array({3, 100});
        expect_near_all(fx::rope(x, dims, traditional, 500000.0f, 0.25f, offsets),
                        fx::reference::rope(x, dims, traditional, 500000.0f, 0.25f, offsets), tol,
                        tag + " offsets");
        const array freqs = random_array({dims / 2}, float32, 3, 1, 100);
        expect_near_all(
            fx::rope(x, dims, traditional, std::nullopt, 1.0f, 2, freqs),
            fx::reference::rope(x, dims, traditional, std::nullopt, 1.0f, array(2), freqs), tol,
            tag + " freqs");
      }
    }
  }
  // 3-D and 5-D inputs, and a non-contiguous one.
  for (const Shape& shape : {Shape{2, 9, 16}, Shape{2, 2, 3, 9, 16}}) {
    const array x = random_array(shape, float32, 4);
    expect_near_all(fx::rope(x, 16, false, 10000.0f, 1.0f, 1),
                    fx::reference::rope(x, 16, false, 10000.0f, 1.0f, array(1)), 1e-5, "ndim");
  }
  const array xt = swapaxes(random_array({1, 9, 4, 32}, float32, 5), 1, 2);
  expect_near_all(fx::rope(xt, 32, true, 10000.0f, 1.0f, 0),
                  fx::reference::rope(xt, 32, true, 10000.0f, 1.0f, array(0)), 1e-5, "strided");
}

TEST(FastRope, PositionZeroIsIdentityAndRotationPreservesNorms) {
  const array x = random_array({1, 1, 1, 8}, float32, 6);
  expect_near_all(fx::rope(x, 8, false, 10000.0f, 1.0f, 0), x, 0.0, "t=0");
  const array y = fx::rope(random_array({1, 1, 5, 2}, float32, 7), 2, true, 1.0f, 1.0f, 3);
  const array x2 = random_array({1, 1, 5, 2}, float32, 7);
  expect_near_all(sum(square(y), -1), sum(square(x2), -1), 1e-6, "norm");
}

// Attention problems: {batch, q heads, kv heads, q len, k len, head dim}.
struct SdpaCase {
  int b, hq, hkv, lq, lk, d;
};

void check_sdpa(const SdpaCase& c, Dtype dt, const std::string& mode, const std::string& mask_kind,
                bool sinks, uint32_t seed) {
  const array q = random_array({c.b, c.hq, c.lq, c.d}, dt, seed);
  const array k = random_array({c.b, c.hkv, c.lk, c.d}, dt, seed + 1);
  const array v = random_array({c.b, c.hkv, c.lk, c.d}, dt, seed + 2);
  std::optional<array> mask;
  if (mask_kind == "bool") {
    mask = greater(random_array({c.lq, c.lk}, float32, seed + 3), array(-0.5f));
  } else if (mask_kind == "additive") {
    mask = astype(random_array({c.b, 1, c.lq, c.lk}, float32, seed + 3, -4, 0), dt);
  } else if (mask_kind == "bool_rows_off") {
    // Every other query row fully masked: MLX's composition averages V there.
    mask = broadcast_to(expand_dims(equal(remainder(arange(c.lq), array(2)), array(0)), 1),
                        {c.lq, c.lk});
  }
  std::optional<array> s;
  if (sinks) {
    s = astype(random_array({c.hq}, float32, seed + 4, -1, 2), dt);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.d));
  const std::string m = mask ? "array" : mode;
  const array fused = fx::scaled_dot_product_attention(q, k, v, scale, m, mask, s);
  const array ref = fx::reference::scaled_dot_product_attention(q, k, v, scale, m, mask, s);
  const double tol = dt == float32 ? 2e-5 : dt == float16 ? 4e-3 : 3e-2;
  expect_near_all(fused, ref, tol,
                  std::string(dtype_name(dt)) + " " + mode + mask_kind + (sinks ? " sinks" : "") +
                      " lq=" + std::to_string(c.lq) + " lk=" + std::to_string(c.lk) +
                      " d=" + std::to_string(c.d));
}

TEST(FastAttention, HeadDimsAndMasksMatchReference) {
  uint32_t seed = 100;
  for (int d : {64, 80, 96, 128, 256}) {
    for (const SdpaCase& c : {SdpaCase{1, 4, 2, 1, 300, d}, SdpaCase{2, 4, 1, 70, 70, d}}) {
      check_sdpa(c, float32, "", "", false, seed++);
      check_sdpa(c, float32, "causal", "", false, seed++);
      check_sdpa(c, float32, "", "bool", false, seed++);
      check_sdpa(c, float32, "", "additive", true, seed++);
    }
  }
}

TEST(FastAttention, HalfTypesSinksAndEdgeMasks) {
  uint32_t seed = 500;
  for (Dtype dt : {float16, bfloat16}) {
    for (const SdpaCase& c : {SdpaCase{1, 8, 2, 1, 513, 64}, SdpaCase{1, 2, 2, 33, 40, 128}}) {
      check_sdpa(c, dt, "causal", "", true, seed++);
      check_sdpa(c, dt, "", "bool", false, seed++);
      check_sdpa(c, dt, "", "additive", false, seed++);
    }
  }
  // Decoding (a few query rows per key/value head) reads half-precision K/V in place:
  // head dims that are whole 128-value chunks, a chunk and a half, 16-value lanes only,
  // and lanes plus a scalar tail; 1 to 8 rows per task.
  for (Dtype dt : {float16, bfloat16}) {
    for (int d : {72, 80, 128, 192, 256}) {
      for (const SdpaCase& c : {SdpaCase{1, 2, 2, 1, 300, d}, SdpaCase{1, 16, 2, 1, 260, d}}) {
        check_sdpa(c, dt, "causal", "", false, seed++);
        check_sdpa(c, dt, "", "additive", true, seed++);
      }
    }
  }
  // Fully masked rows, and causal with more queries than keys (rows that see no key).
  check_sdpa({1, 2, 1, 6, 9, 32}, float32, "", "bool_rows_off", false, seed++);
  check_sdpa({1, 2, 1, 6, 9, 32}, float32, "", "bool_rows_off", true, seed++);
  check_sdpa({1, 2, 2, 12, 5, 32}, float32, "causal", "", false, seed++);
}

TEST(FastAttention, DecodingReadsTransposedHalfCaches) {
  // K and V as [B, L, H, D] buffers seen as [B, H, L, D]: a key's row is D values at a
  // stride of H * D, which the decoding kernels read in place.
  for (Dtype dt : {float16, bfloat16}) {
    const array q = random_array({1, 8, 1, 64}, dt, 950);
    const array k = transpose(random_array({1, 37, 2, 64}, dt, 951), {0, 2, 1, 3});
    const array v = transpose(random_array({1, 37, 2, 64}, dt, 952), {0, 2, 1, 3});
    expect_near_all(fx::scaled_dot_product_attention(q, k, v, 0.125f, "causal"),
                    fx::reference::scaled_dot_product_attention(q, k, v, 0.125f, "causal"),
                    dt == float16 ? 4e-3 : 3e-2, "transposed cache " + std::string(dtype_name(dt)));
  }
}

TEST(FastAttention, LongSequenceAndStridedCache) {
  // A prefill longer than 1000 tokens (the reference builds the full score matrix;
  // the fused kernel never does).
  check_sdpa({1, 2, 1, 1100, 1100, 64}, float32, "causal", "", false, 900);
  // K/V as slices of a longer, preallocated cache (rows not contiguous across heads).
  const array cache_k = random_array({1, 2, 64, 32}, float32, 901);
  const array cache_v = random_array({1, 2, 64, 32}, float32, 902);
  const array k = slice(cache_k, {0, 0, 0, 0}, {1, 2, 20, 32});
  const array v = slice(cache_v, {0, 0, 0, 0}, {1, 2, 20, 32});
  const array q = random_array({1, 4, 3, 32}, float32, 903);
  expect_near_all(fx::scaled_dot_product_attention(q, k, v, 0.2f, "causal"),
                  fx::reference::scaled_dot_product_attention(q, k, v, 0.2f, "causal"), 2e-5,
                  "strided cache");
  // float64 runs through basic ops.
  const array q64 = astype(q, float64);
  EXPECT_EQ(
      fx::scaled_dot_product_attention(q64, astype(k, float64), astype(v, float64), 0.2f).dtype(),
      float64);
}

// The fused swiglu is the composition silu(gate) * x bit for bit: every step rounds to the
// type as the separate ops round (large inputs split over threads, strided inputs copied).
TEST(FastSwiGLU, EqualsTheCompositionBitForBit) {
  for (Dtype t : {float32, float16, bfloat16}) {
    for (const Shape& shape : {Shape{1, 1, 3072}, Shape{3, 5, 7}, Shape{1 << 17}}) {
      SCOPED_TRACE(std::string(dtype_name(t)) + " " + std::to_string(shape.back()));
      const array g = astype(multiply(random::normal(shape, random::key(1)), array(4.0f)), t);
      const array x = astype(random::normal(shape, random::key(2)), t);
      const array got = fx::swiglu(g, x);
      EXPECT_STREQ(got.primitive().name(), "SwiGLU");
      EXPECT_TRUE(array_equal(got, fx::reference::swiglu(g, x)).item<bool>());
    }
    // Infinities, NaN, zeros and values whose sigmoid saturates.
    const array special = astype(
        array({0.0f, -0.0f, INFINITY, -INFINITY, NAN, 88.0f, -88.0f, 1e-8f, -20.0f, 20.0f}), t);
    const array x = astype(array({1.0f, -2.0f, 3.0f, 0.5f, 1.0f, 1.0f, 1.0f, 7.0f, 3.0f, -1.0f}), t);
    EXPECT_TRUE(array_equal(fx::swiglu(special, x), fx::reference::swiglu(special, x), true)
                    .item<bool>());
    // A transposed (strided) gate.
    const array gt = transpose(astype(random::normal({6, 4}, random::key(3)), t));
    const array xt = astype(random::normal({4, 6}, random::key(4)), t);
    EXPECT_TRUE(array_equal(fx::swiglu(gt, xt), fx::reference::swiglu(gt, xt)).item<bool>());
  }
  // Broadcasting or mixed types: the composition itself.
  const array g = random::normal({2, 3}, random::key(5));
  const array x = random::normal({3}, random::key(6));
  const array y = fx::swiglu(g, x);
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_TRUE(array_equal(y, fx::reference::swiglu(g, x)).item<bool>());
  EXPECT_TRUE(array_equal(fx::swiglu(g, astype(g, float16)),
                          fx::reference::swiglu(g, astype(g, float16)))
                  .item<bool>());
}

TEST(FastAttention, OneKeyGivesItsValue) {
  const array q = random_array({1, 1, 3, 4}, float32, 7);
  const array k = random_array({1, 1, 1, 4}, float32, 8);
  const array v = array({1.f, 2.f, 3.f, 4.f}, {1, 1, 1, 4});
  expect_close(fx::scaled_dot_product_attention(q, k, v, 1.0f),
               {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}, 1e-6);
}

// ------------------------------------------------------------------ errors

TEST(FastErrors, ArgumentsAreChecked) {
  const array x = zeros({2, 4, 8});
  expect_invalid([&] { fx::rms_norm(array(1.0f), std::nullopt, 1e-5f); }, "at least 1 dimension");
  expect_invalid([&] { fx::rms_norm(x, zeros({4}), 1e-5f); }, "size of x's last dimension");
  expect_invalid([&] { fx::rms_norm(x, zeros({1, 8}), 1e-5f); }, "1 dimension");
  expect_invalid(
      [&] {
        fx::rms_norm(zeros({2, 8}, int32), std::nullopt, 1e-5f);
      },
      "floating point");
  expect_invalid([&] { fx::layer_norm(x, std::nullopt, zeros({3}), 1e-5f); }, "bias");
  expect_invalid([&] { fx::rope(zeros({4, 8}), 8, false, 1e4f, 1.f, 0); }, "3 dimensions");
  expect_invalid([&] { fx::rope(x, 7, false, 1e4f, 1.f, 0); }, "even");
  expect_invalid([&] { fx::rope(x, 16, false, 1e4f, 1.f, 0); }, "at most 8");
  expect_invalid([&] { fx::rope(x, 8, false, std::nullopt, 1.f, 0); }, "Neither base nor freqs");
  expect_invalid([&] { fx::rope(x, 8, false, 1e4f, 1.f, 0, zeros({4})); }, "Only one of");
  expect_invalid([&] { fx::rope(x, 8, false, std::nullopt, 1.f, 0, zeros({3})); }, "freqs");
  expect_invalid([&] { fx::rope(x, 8, false, 1e4f, 1.f, array({1, 2, 3})); }, "offset");
  expect_invalid([&] { fx::rope(x, 8, false, 1e4f, 1.f, array(1.5f)); }, "integer");
  expect_invalid([&] { fx::rope(zeros({2, 4, 8}, int32), 8, false, 1e4f, 1.f, 0); }, "floating");
  const array q = zeros({1, 4, 2, 8});
  const array kv = zeros({1, 2, 3, 8});
  auto sdpa = [&](const array& qq, const array& kk, const array& vv, const std::string& mode,
                  std::optional<array> mask = {}, std::optional<array> sinks = {}) {
    return fx::scaled_dot_product_attention(qq, kk, vv, 1.0f, mode, mask, sinks);
  };
  expect_invalid([&] { sdpa(zeros({4, 2, 8}), kv, kv, ""); }, "4 dimensions");
  expect_invalid([&] { sdpa(q, kv, kv, "sliding"); }, "Invalid mask_mode");
  expect_invalid([&] { sdpa(q, kv, kv, "causal", zeros({2, 3})); }, "causal");
  expect_invalid([&] { sdpa(q, kv, kv, "array"); }, "needs a mask");
  expect_invalid([&] { sdpa(q, zeros({1, 2, 3, 4}), kv, ""); }, "head dimension");
  expect_invalid([&] { sdpa(q, kv, zeros({1, 2, 4, 8}), ""); }, "same heads and length");
  expect_invalid([&] { sdpa(q, zeros({1, 3, 3, 8}), zeros({1, 3, 3, 8}), ""); }, "multiple");
  expect_invalid([&] { sdpa(q, zeros({2, 2, 3, 8}), zeros({2, 2, 3, 8}), ""); }, "Batch");
  expect_invalid([&] { sdpa(q, kv, kv, "", zeros({2, 4})); }, "does not broadcast");
  expect_invalid([&] { sdpa(q, kv, kv, "", zeros({2, 3}, float64)); }, "must promote");
  expect_invalid([&] { sdpa(q, kv, kv, "", std::nullopt, zeros({2})); }, "sinks");
  expect_invalid([&] { sdpa(astype(q, int32), astype(kv, int32), astype(kv, int32), ""); },
                 "floating point");
}

}  // namespace
}  // namespace mlxcpp::test
