// Quantization: quantize / dequantize bit-exact with MLX's goldens (every mode, width, group
// size and dtype), quantized_matmul and gather_qmm within the goldens' tolerances and within
// 2 ulp of a float64 reference, round-trip error bounds, quantized_matmul against
// dequantize + a float64 matmul over every format, layout and M (GEMV and GEMM paths), every
// available kernel (AVX-512 BF16, AVX-512, AVX2, portable) against the scalar reference (the
// GEMV loops for every activation dtype too), batching, gather indices, E4M3 conversions, and
// every argument error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "fixture_index.h"
#include "mlxcpp/backend/cpu/quantized.h"
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

namespace q = mlxcpp::cpu::quant;

Dtype dtype_named(const std::string& name) {
  for (Dtype t : {float32, float16, bfloat16, float64, uint8, uint32}) {
    if (dtype_name(t) == name) {
      return t;
    }
  }
  ADD_FAILURE() << "unknown dtype " << name;
  return float32;
}

// The raw bits of every element (1, 2 or 4 bytes), row-major.
std::vector<uint32_t> raw_bits(const array& a_in) {
  array a = contiguous(a_in);
  a.eval();
  std::vector<uint32_t> out(a.size());
  const auto* p = a.data<uint8_t>();
  for (size_t i = 0; i < a.size(); ++i) {
    uint32_t v = 0;
    std::memcpy(&v, p + i * a.itemsize(), a.itemsize());
    out[i] = v;
  }
  return out;
}

void expect_same_bits(const array& got, const array& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what << ": got " << dtype_name(got.dtype());
  const auto g = raw_bits(got);
  const auto w = raw_bits(want);
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    if (g[i] != w[i] && bad++ == 0) {
      first = i;
    }
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << g.size() << " differ; first at " << first
                     << " (got 0x" << std::hex << (bad ? g[first] : 0) << ", want 0x"
                     << (bad ? w[first] : 0) << ")";
}

std::optional<int> opt_int(const nlohmann::json& args, const char* key) {
  return args.contains(key) && !args[key].is_null() ? std::optional<int>(args[key].get<int>())
                                                    : std::nullopt;
}

// ---------------------------------------------------- an independent decoder

uint32_t code_at(const std::vector<uint32_t>& words, int64_t row_words, int64_t row, int64_t i,
                 int bits) {
  const int64_t bit = i * bits;
  const int64_t w = row * row_words + bit / 32;
  const int shift = static_cast<int>(bit % 32);
  uint64_t v = words[w];
  if (shift + bits > 32) {
    v |= uint64_t(words[w + 1]) << 32;
  }
  return static_cast<uint32_t>((v >> shift) & ((1u << bits) - 1));
}

double e4m3(uint32_t c) {
  const int e = (c >> 3) & 15, m = c & 7;
  const double v = e == 0 ? m * std::ldexp(1.0, -9) : (1 + m / 8.0) * std::ldexp(1.0, e - 7);
  return (c & 0x80) ? -v : v;
}

const double kFp4[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6};

// The matrix a packed weight stands for, [rows][cols] in float64, with |q * s| + |b| per
// element in `mag` (the size of the terms a float evaluation rounds).
struct Decoded {
  int64_t rows, cols;
  std::vector<double> w, mag;
};

Decoded decode(const array& wq, const array& scales, const std::optional<array>& biases, int gs,
               int bits, const std::string& mode) {
  Decoded d;
  d.cols = int64_t(wq.shape(-1)) * 32 / bits;
  d.rows = int64_t(wq.size()) / wq.shape(-1);
  const auto words = values<uint32_t>(wq);
  const auto s = values<double>(scales);
  const auto b = biases ? values<double>(*biases) : std::vector<double>();
  d.w.resize(d.rows * d.cols);
  d.mag.resize(d.rows * d.cols);
  for (int64_t r = 0; r < d.rows; ++r) {
    for (int64_t c = 0; c < d.cols; ++c) {
      const uint32_t code = code_at(words, wq.shape(-1), r, c, bits);
      const int64_t g = r * (d.cols / gs) + c / gs;
      double v;
      if (mode == "affine") {
        v = code * s[g] + b[g];
        d.mag[r * d.cols + c] = std::abs(code * s[g]) + std::abs(b[g]);
      } else {
        const double sc = mode == "nvfp4" ? e4m3(uint32_t(s[g]))
                          : s[g] == 0     ? std::ldexp(1.0, -127)
                                          : std::ldexp(1.0, int(s[g]) - 127);
        v = (bits == 4 ? kFp4[code] : e4m3(code)) * sc;
        d.mag[r * d.cols + c] = std::abs(v);
      }
      d.w[r * d.cols + c] = v;
    }
  }
  return d;
}

// y = x @ W^T (transpose) or x @ W in float64, and sum_k |x| * mag per output.
struct Reference {
  std::vector<double> y, bound;
};

Reference reference_qmm(const std::vector<double>& x, int64_t M, const Decoded& d, bool transpose) {
  const int64_t K = transpose ? d.cols : d.rows;
  const int64_t N = transpose ? d.rows : d.cols;
  Reference r{std::vector<double>(M * N), std::vector<double>(M * N)};
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      double acc = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        const int64_t i = transpose ? n * d.cols + k : k * d.cols + n;
        acc += x[m * K + k] * d.w[i];
        mag += std::abs(x[m * K + k]) * d.mag[i];
      }
      r.y[m * N + n] = acc;
      r.bound[m * N + n] = mag;
    }
  }
  return r;
}

double eps_of(Dtype t) {
  return t == float16    ? std::ldexp(1.0, -11)
         : t == bfloat16 ? std::ldexp(1.0, -8)
                         : std::ldexp(1.0, -24);
}

// One unit in the last place of dtype at |v|.
double ulp_of(Dtype t, double v) {
  const double a = std::max(std::abs(v), t == float16 ? std::ldexp(1.0, -14) : 1e-30);
  return std::ldexp(2.0 * eps_of(t), std::ilogb(a));
}

std::vector<double> normal_values(size_t n, double sd, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> dist(0.0, sd);
  std::vector<double> v(n);
  for (auto& x : v) {
    x = dist(gen);
  }
  return v;
}

// Runs f with the given kernel, restoring the environment's choice after.
template <typename F>
auto with_kernel(q::Kernel k, F&& f) {
  q::set_kernel(k);
  try {
    auto r = f();
    q::set_kernel(std::nullopt);
    return r;
  } catch (...) {
    q::set_kernel(std::nullopt);
    throw;
  }
}

// `run` (values of a product) with every kernel this CPU has against the scalar reference:
// within one ulp of dt plus 2e-5 relative. `what` names the case in failures.
template <typename F>
void expect_kernels_match_scalar(F&& run, Dtype dt, const std::string& what) {
  const auto want = with_kernel(q::Kernel::scalar, run);
  for (q::Kernel k : q::available_kernels()) {
    SCOPED_TRACE(std::string(q::kernel_name(k)) + " " + what);
    const auto got = with_kernel(k, run);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], ulp_of(dt, want[i]) + 2e-5 * (1 + std::abs(want[i])))
          << "at " << i;
    }
  }
}

// ------------------------------------------------------------ MLX goldens

TEST(QuantizedFixtures, QuantizeIsBitExact) {
  const auto cases = fixture_cases("quant", "quantize");
  ASSERT_EQ(cases.size(), 72u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const auto& a = c["args"];
    const auto out = quantize(fixture_array(c["inputs"]["w"]), opt_int(a, "group_size"),
                              opt_int(a, "bits"), a["mode"].get<std::string>());
    const auto& o = c["outputs"];
    ASSERT_EQ(out.size(), o.contains("biases") ? 3u : 2u);
    expect_same_bits(out[0], fixture_array(o["w_q"]), "w_q");
    expect_same_bits(out[1], fixture_array(o["scales"]), "scales");
    if (o.contains("biases")) {
      expect_same_bits(out[2], fixture_array(o["biases"]), "biases");
    }
  }
}

TEST(QuantizedFixtures, DequantizeIsBitExact) {
  const auto cases = fixture_cases("quant", "dequantize");
  ASSERT_EQ(cases.size(), 72u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const auto& a = c["args"];
    const auto& in = c["inputs"];
    std::optional<array> biases;
    if (in.contains("biases")) {
      biases = fixture_array(in["biases"]);
    }
    std::optional<Dtype> dtype;
    if (a.contains("dtype")) {
      dtype = dtype_named(a["dtype"].get<std::string>());
    }
    const auto out = dequantize(fixture_array(in["w_q"]), fixture_array(in["scales"]), biases,
                                opt_int(a, "group_size"), opt_int(a, "bits"),
                                a["mode"].get<std::string>(), std::nullopt, dtype);
    expect_same_bits(out, fixture_array(c["outputs"]["w"]), "w");
  }
}

// Every quantized_matmul golden within its tolerance; half-precision results also within
// 2 ulp (at the output's scale) of a float64 product of the same packed weight.
TEST(QuantizedFixtures, QuantizedMatmulWithinTolerance) {
  const auto cases = fixture_cases("quant", "quantized_matmul");
  ASSERT_EQ(cases.size(), 378u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const auto& a = c["args"];
    const auto& in = c["inputs"];
    const std::string mode = a["mode"];
    const int gs = a["group_size"], bits = a["bits"];
    const bool transpose = a["transpose"];
    std::optional<array> biases;
    if (in.contains("biases")) {
      biases = fixture_array(in["biases"]);
    }
    const array x = fixture_array(in["x"]);
    const array wq = fixture_array(in["w_q"]);
    const array scales = fixture_array(in["scales"]);
    const array y = quantized_matmul(x, wq, scales, biases, transpose, gs, bits, mode);
    const array want = fixture_array(c["outputs"]["y"]);
    ASSERT_EQ(y.shape(), want.shape());
    ASSERT_EQ(y.dtype(), want.dtype());
    const double atol = c["tolerance"]["atol"];
    const auto got = values<double>(y);
    const auto mlx = values<double>(want);
    const auto ref = reference_qmm(values<double>(x), x.shape(0),
                                   decode(wq, scales, biases, gs, bits, mode), transpose);
    double scale = 0;
    for (double v : ref.y) {
      scale = std::max(scale, std::abs(v));
    }
    const double strict = 2 * ulp_of(y.dtype(), scale);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], mlx[i], atol) << "at " << i;
      if (y.dtype() != float32) {
        ASSERT_NEAR(got[i], ref.y[i], strict) << "float64 reference, at " << i;
      }
    }
  }
}

TEST(QuantizedFixtures, GatherQmmWithinTolerance) {
  const auto cases = fixture_cases("quant", "gather_qmm");
  ASSERT_EQ(cases.size(), 1u);
  const auto& c = cases[0];
  const auto& a = c["args"];
  const auto& in = c["inputs"];
  const array y =
      gather_qmm(fixture_array(in["x"]), fixture_array(in["w_q"]), fixture_array(in["scales"]),
                 fixture_array(in["biases"]), std::nullopt, fixture_array(in["rhs_indices"]),
                 a["transpose"], a["group_size"].get<int>(), a["bits"].get<int>(),
                 a["mode"].get<std::string>(), a["sorted_indices"]);
  const array want = fixture_array(c["outputs"]["y"]);
  ASSERT_EQ(y.shape(), want.shape());
  expect_close(y, values<double>(want), c["tolerance"]["atol"].get<double>());
}

// ------------------------------------------------------------- round trips

struct Fmt {
  std::string mode;
  int bits;
  int gs;
};

std::vector<Fmt> all_formats() {
  std::vector<Fmt> out;
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int gs : {32, 64, 128}) {
      out.push_back({"affine", bits, gs});
    }
  }
  out.push_back({"mxfp4", 4, 32});
  out.push_back({"mxfp8", 8, 32});
  out.push_back({"nvfp4", 4, 16});
  return out;
}

// Per element: affine within one step (|scale|) of w, and within half a step where w lies
// inside the group's grid; fp4 within 2.5 scales (mx: the power-of-two scale may leave the
// largest values past 6); fp8 within 1/16 relative or the subnormal step, past saturation.
TEST(Quantized, RoundTripErrorIsBoundedPerFormat) {
  for (const Dtype dt : {float32, float16, bfloat16}) {
    for (const auto& f : all_formats()) {
      SCOPED_TRACE(f.mode + " bits " + std::to_string(f.bits) + " gs " + std::to_string(f.gs) +
                   " " + std::string(dtype_name(dt)));
      const int rows = 8, cols = 512;
      const array w = make_array(normal_values(rows * cols, 0.5, 11), {rows, cols}, dt);
      const auto qw = quantize(w, f.gs, f.bits, f.mode);
      const std::optional<array> b = f.mode == "affine" ? std::optional(qw[2]) : std::nullopt;
      const array back = dequantize(qw[0], qw[1], b, f.gs, f.bits, f.mode, std::nullopt, dt);
      EXPECT_EQ(back.dtype(), dt);
      const auto wv = values<double>(w);
      const auto bv = values<double>(back);
      const auto d = decode(qw[0], qw[1], b, f.gs, f.bits, f.mode);
      const auto sv = values<double>(qw[1]);
      double worst = 0;
      for (int64_t i = 0; i < rows * cols; ++i) {
        const int64_t g = i / f.gs;
        const double err = std::abs(wv[i] - bv[i]);
        const double slack = 4 * eps_of(dt) * (d.mag[i] + std::abs(wv[i])) + 1e-30;
        double bound;
        if (f.mode == "affine") {
          bound = std::abs(sv[g]);
        } else {
          const double sc =
              f.mode == "nvfp4" ? e4m3(uint32_t(sv[g])) : std::ldexp(1.0, int(sv[g]) - 127);
          bound = f.bits == 4 ? 2.5 * sc
                              : std::max({std::abs(wv[i]) / 16, sc * std::ldexp(1.0, -10),
                                          std::abs(wv[i]) - 448 * sc});
        }
        worst = std::max(worst, err / (bound + slack));
        ASSERT_LE(err, bound + slack) << "at " << i << ": w " << wv[i] << " back " << bv[i];
      }
      // The rounding really is to the nearest grid point for most elements.
      EXPECT_GT(worst, 0.05);
    }
  }
}

TEST(Quantized, AffineEdgesAreExactAndConstantGroupsRoundTrip) {
  // A group's larger-magnitude edge is the bias and lies on the grid exactly.
  std::vector<double> v = normal_values(4 * 64, 1.0, 3);
  for (int j = 0; j < 64; ++j) {
    v[64 + j] = 0.37;  // constant group
    v[128 + j] = 0.0;  // zero group
  }
  const array w = make_array(v, {4, 64}, float32);
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    const auto qw = quantize(w, 64, bits);
    const auto back = values<double>(dequantize(qw[0], qw[1], qw[2], 64, bits));
    const auto s = values<float>(qw[1]);
    EXPECT_EQ(s[1], -1e-7f) << bits;
    EXPECT_EQ(s[2], -1e-7f) << bits;
    for (int j = 0; j < 64; ++j) {
      EXPECT_FLOAT_EQ(back[64 + j], 0.37) << bits;
      EXPECT_EQ(back[128 + j], 0.0) << bits;
    }
    double lo = 1e9, hi = -1e9;
    for (int j = 0; j < 64; ++j) {
      lo = std::min(lo, v[j]);
      hi = std::max(hi, v[j]);
    }
    const double edge = std::abs(lo) > std::abs(hi) ? lo : hi;
    bool found = false;
    for (int j = 0; j < 64; ++j) {
      found |= back[j] == static_cast<double>(static_cast<float>(edge));
    }
    EXPECT_TRUE(found) << bits;
  }
}

// dequantize agrees with an independent reader of the bit stream (the goldens pin both to
// MLX's packing; this covers larger, batched weights).
TEST(Quantized, DequantizeMatchesAnIndependentBitStreamReader) {
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    const array w = make_array(normal_values(2 * 3 * 256, 1.0, 40 + bits), {2, 3, 256}, float32);
    const auto qw = quantize(w, 32, bits);
    ASSERT_EQ(qw[0].shape(), Shape({2, 3, 8 * bits}));
    const auto got = values<double>(dequantize(qw[0], qw[1], qw[2], 32, bits));
    const auto d = decode(qw[0], qw[1], qw[2], 32, bits, "affine");
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], d.w[i], 1e-6 * (1 + d.mag[i])) << bits << " at " << i;
    }
  }
}

// --------------------------------------------- quantized_matmul vs dequantize

struct Case {
  Fmt f;
  Dtype dt;
  bool transpose;
  int64_t M, N, K;
};

// x [M, K] and a weight for N outputs: quantized_matmul against the float64 product of x with
// dequantize(w) (in float32), allowing 1 ulp of the output, the weights' rounding to the
// dtype and float32 accumulation.
void check_against_dequantize(const Case& c, uint32_t seed) {
  SCOPED_TRACE(c.f.mode + " bits " + std::to_string(c.f.bits) + " gs " + std::to_string(c.f.gs) +
               " " + std::string(dtype_name(c.dt)) + (c.transpose ? " T" : " N") + " M " +
               std::to_string(c.M) + " N " + std::to_string(c.N) + " K " + std::to_string(c.K));
  const int rows = c.transpose ? c.N : c.K;
  const int cols = c.transpose ? c.K : c.N;
  const array w = make_array(normal_values(rows * cols, 0.1, seed), {rows, cols}, c.dt);
  const array x = make_array(normal_values(c.M * c.K, 1.0, seed + 1), {int(c.M), int(c.K)}, c.dt);
  const auto qw = quantize(w, c.f.gs, c.f.bits, c.f.mode);
  const std::optional<array> b = c.f.mode == "affine" ? std::optional(qw[2]) : std::nullopt;
  const array y = quantized_matmul(x, qw[0], qw[1], b, c.transpose, c.f.gs, c.f.bits, c.f.mode);
  ASSERT_EQ(y.shape(), Shape({int(c.M), int(c.N)}));
  ASSERT_EQ(y.dtype(), c.dt);
  const array deq = dequantize(qw[0], qw[1], b, c.f.gs, c.f.bits, c.f.mode, std::nullopt, float32);
  Decoded d{rows, cols, values<double>(deq), {}};
  d.mag = decode(qw[0], qw[1], b, c.f.gs, c.f.bits, c.f.mode).mag;
  const auto ref = reference_qmm(values<double>(x), c.M, d, c.transpose);
  const auto got = values<double>(y);
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol =
        ulp_of(c.dt, ref.y[i]) + (2 * eps_of(c.dt) + std::ldexp(1.0, -20)) * ref.bound[i];
    ASSERT_NEAR(got[i], ref.y[i], tol) << "at " << i;
  }
}

int64_t k_for(const Fmt& f, bool transpose) {
  // Transposed: K is packed and holds whole groups, 3 of them (96 is not a multiple of 64);
  // otherwise K is any length.
  return transpose ? 3 * f.gs : 37;
}

int64_t n_for(const Fmt& f, bool transpose) {
  // Transposed: N rows, not a multiple of 4; otherwise N is packed (whole groups).
  return transpose ? 37 : 3 * f.gs;
}

TEST(Quantized, MatmulMatchesDequantizeEveryFormatLayoutAndRows) {
  uint32_t seed = 100;
  for (const auto& f : all_formats()) {
    for (const Dtype dt : {float32, float16, bfloat16}) {
      for (const bool transpose : {true, false}) {
        for (int64_t M : {1, 3, 8, 33}) {
          check_against_dequantize({f, dt, transpose, M, n_for(f, transpose), k_for(f, transpose)},
                                   seed++);
        }
      }
    }
  }
}

TEST(Quantized, MatmulMatchesDequantizeForPrefill) {
  uint32_t seed = 500;
  for (const auto& f : all_formats()) {
    for (const Dtype dt : {float32, float16, bfloat16}) {
      for (const bool transpose : {true, false}) {
        // Smaller weights keep the scalar reference rerun short.
        const int64_t n = transpose ? 13 : f.gs;
        const int64_t k = transpose ? f.gs : 21;
        check_against_dequantize({f, dt, transpose, 512, n, k}, seed++);
      }
    }
  }
}

// Every kernel this CPU can run against the scalar reference: GEMV (M <= 8, every row /
// activation tiling), GEMV over blocks of 8 rows (9 and 13) and GEMM (M > 16) paths, both
// layouts, row counts off the 4-row blocks.
TEST(Quantized, EveryKernelMatchesTheScalarReference) {
  const auto kernels = q::available_kernels();
  ASSERT_GE(kernels.size(), 2u);
  uint32_t seed = 900;
  for (const auto& f : all_formats()) {
    for (const bool transpose : {true, false}) {
      for (int64_t M : {1, 2, 3, 4, 5, 7, 9, 13, 17}) {
        const Dtype dt = M == 3 || M == 13 ? bfloat16 : M == 5 ? float16 : float32;
        const int64_t N = transpose ? 4 * 9 + 3 : 2 * f.gs;
        const int64_t K = transpose ? 5 * f.gs : 45;
        const int rows = transpose ? N : K, cols = transpose ? K : N;
        const array w = make_array(normal_values(rows * cols, 0.1, seed), {rows, cols}, dt);
        const array x = make_array(normal_values(M * K, 1.0, seed + 1), {int(M), int(K)}, dt);
        ++seed;
        const auto qw = quantize(w, f.gs, f.bits, f.mode);
        const std::optional<array> b = f.mode == "affine" ? std::optional(qw[2]) : std::nullopt;
        auto run = [&] {
          array y = quantized_matmul(x, qw[0], qw[1], b, transpose, f.gs, f.bits, f.mode);
          return values<double>(y);
        };
        expect_kernels_match_scalar(run, dt,
                                    f.mode + " bits " + std::to_string(f.bits) + " gs " +
                                        std::to_string(f.gs) + (transpose ? " T" : " N") + " M " +
                                        std::to_string(M));
      }
    }
  }
}

// Prefill with bfloat16 activations (the AVX-512 BF16 GEMM where the CPU has it): every
// kernel against the scalar reference, with M off the 32-row tiles and N off the 6-row
// micro-tiles and the 48-row blocks.
TEST(Quantized, BfloatGemmMatchesTheScalarReference) {
  uint32_t seed = 1300;
  for (const auto& f : all_formats()) {
    if (f.mode != "affine" || (f.bits != 4 && f.bits != 8)) {
      continue;
    }
    for (int64_t M : {9, 33, 70}) {
      const int64_t N = M == 33 ? 101 : 13, K = 3 * f.gs;
      const array w = make_array(normal_values(N * K, 0.1, seed), {int(N), int(K)}, bfloat16);
      const array x = make_array(normal_values(M * K, 1.0, seed + 1), {int(M), int(K)}, bfloat16);
      ++seed;
      const auto qw = quantize(w, f.gs, f.bits, f.mode);
      auto run = [&] {
        return values<double>(quantized_matmul(x, qw[0], qw[1], qw[2], true, f.gs, f.bits));
      };
      expect_kernels_match_scalar(run, bfloat16,
                                  "bits " + std::to_string(f.bits) + " gs " + std::to_string(f.gs) +
                                      " M " + std::to_string(M));
    }
  }
}

// The decode shapes every ISA loop serves (affine 4 and 8 bits, transposed), for every
// activation dtype and 1, 2 and 4 activation rows: K past the BF16 kernel's 128-code
// chunks (a short last chunk for group sizes 32 and 64), short rows and rows long enough
// to be walked one at a time, rows off the 4-row blocks, and activations spanning many
// binades (every bfloat16 part of a float32 value matters).
TEST(Quantized, GemvKernelsMatchTheScalarReferenceForEveryDtype) {
  uint32_t seed = 1300;
  for (int bits : {4, 8}) {
    for (int gs : {32, 64, 128}) {
      for (const Dtype dt : {float32, float16, bfloat16}) {
        for (const auto& [M, K] : {std::pair<int64_t, int64_t>{1, 11 * gs},
                                   {2, 11 * gs},
                                   {4, 11 * gs},
                                   {1, q::kSequentialRowsMinK + 11 * gs},
                                   {2, q::kSequentialRowsMinK + 11 * gs}}) {
          const int64_t N = 4 * 5 + 3;
          const array w = make_array(normal_values(N * K, 0.1, seed), {int(N), int(K)}, dt);
          auto xv = normal_values(M * K, 1.0, seed + 1);
          for (size_t i = 0; i < xv.size(); ++i) {
            xv[i] *= std::ldexp(1.0, -int(i % 13));
          }
          const array x = make_array(xv, {int(M), int(K)}, dt);
          ++seed;
          const auto qw = quantize(w, gs, bits);
          auto run = [&] {
            return values<double>(quantized_matmul(x, qw[0], qw[1], qw[2], true, gs, bits));
          };
          expect_kernels_match_scalar(run, dt,
                                      "bits " + std::to_string(bits) + " gs " + std::to_string(gs) +
                                          " " + std::string(dtype_name(dt)) + " M " +
                                          std::to_string(M));
        }
      }
    }
  }
}

// quantized_matmul_many: each result bit for bit the single quantized_matmul's, for every
// format and kernel, matrices of different heights (off the 4-row blocks), decoding rows (one
// shared GEMV pass) and prefill rows (one product at a time), and every activation dtype.
TEST(Quantized, MatmulManyEqualsEachMatmulBitForBit) {
  uint32_t seed = 2100;
  for (const q::Kernel kernel : q::available_kernels()) {
    q::set_kernel(kernel);
    for (const auto& f : all_formats()) {
      for (const int64_t M : {1, 3, 8, 9}) {
        const Dtype dt = M == 3 ? float32 : M == 9 ? float16 : bfloat16;
        const int64_t K = 3 * f.gs;
        std::vector<array> w, scales, biases;
        for (const int N : {40, 8, 13}) {
          const array wf = make_array(normal_values(N * K, 0.1, seed++), {N, int(K)}, dt);
          const auto qw = quantize(wf, f.gs, f.bits, f.mode);
          w.push_back(qw[0]);
          scales.push_back(qw[1]);
          if (qw.size() > 2) {
            biases.push_back(qw[2]);
          }
        }
        const array x = make_array(normal_values(M * K, 1.0, seed++), {1, int(M), int(K)}, dt);
        const auto many = quantized_matmul_many(x, w, scales, biases, f.gs, f.bits, f.mode);
        ASSERT_EQ(many.size(), 3u);
        // Only one output kept: the others are computed into scratch and dropped.
        const array last = quantized_matmul_many(x, w, scales, biases, f.gs, f.bits, f.mode)[2];
        for (size_t i = 0; i < w.size(); ++i) {
          const std::optional<array> b = biases.empty() ? std::nullopt : std::optional(biases[i]);
          const array one = quantized_matmul(x, w[i], scales[i], b, true, f.gs, f.bits, f.mode);
          EXPECT_EQ(many[i].shape(), one.shape());
          EXPECT_EQ(many[i].dtype(), one.dtype());
          EXPECT_EQ(values<double>(many[i]), values<double>(one))
              << q::kernel_name(kernel) << " " << f.mode << " bits " << f.bits << " gs " << f.gs
              << " M " << M << " matrix " << i;
        }
        EXPECT_EQ(values<double>(last), values<double>(many[2]));
      }
    }
  }
  q::set_kernel(std::nullopt);
}

// Rows long enough that a unit of work is 16 rows (4096 8-bit codes): each matrix spans
// several units and tiles of the shared pass. Then the edges: no inner dimension (zeros) and
// a matrix without rows beside one with rows.
TEST(Quantized, MatmulManyLongRowsAndEmptyEdges) {
  uint32_t seed = 2400;
  for (const q::Kernel kernel : q::available_kernels()) {
    q::set_kernel(kernel);
    for (const int bits : {4, 8}) {
      const int K = 4096;
      std::vector<array> w, scales, biases;
      for (const int N : {100, 40, 70}) {
        const auto qw =
            quantize(make_array(normal_values(N * K, 0.1, seed++), {N, K}, bfloat16), 64, bits);
        w.push_back(qw[0]);
        scales.push_back(qw[1]);
        biases.push_back(qw[2]);
      }
      const array x = make_array(normal_values(2 * K, 1.0, seed++), {2, K}, bfloat16);
      const auto many = quantized_matmul_many(x, w, scales, biases, 64, bits);
      for (size_t i = 0; i < w.size(); ++i) {
        EXPECT_EQ(values<double>(many[i]),
                  values<double>(quantized_matmul(x, w[i], scales[i], biases[i], true, 64, bits)))
            << q::kernel_name(kernel) << " bits " << bits << " matrix " << i;
      }
    }
    const auto empty_k = quantize(zeros({4, 0}), 64, 4);
    const auto rows = quantize(ones({8, 64}), 64, 4);
    const auto no_rows = quantize(zeros({0, 64}), 64, 4);
    const auto z = quantized_matmul_many(zeros({2, 0}), {empty_k[0]}, {empty_k[1]}, {empty_k[2]});
    EXPECT_EQ(z[0].shape(), (Shape{2, 4}));
    EXPECT_EQ(values<float>(z[0]), std::vector<float>(8, 0.0f));
    const array x = ones({3, 64});
    const auto e = quantized_matmul_many(x, {no_rows[0], rows[0]}, {no_rows[1], rows[1]},
                                         {no_rows[2], rows[2]});
    EXPECT_EQ(e[0].shape(), (Shape{3, 0}));
    EXPECT_EQ(values<float>(e[1]),
              values<float>(quantized_matmul(x, rows[0], rows[1], rows[2], true, 64, 4)));
  }
  q::set_kernel(std::nullopt);
}

TEST(Quantized, MatmulManyArgumentErrors) {
  const auto a = quantize(zeros({8, 256}));
  const auto b = quantize(zeros({4, 256}));
  const auto narrow = quantize(zeros({4, 128}));
  const auto fp = quantize(zeros({4, 256}), 32, 4, "mxfp4");
  const array x = zeros({1, 256});
  expect_invalid([&] { quantized_matmul_many(x, {}, {}, {}); }, "at least one matrix");
  expect_invalid(
      [&] {
        quantized_matmul_many(x, {a[0], b[0]}, {a[1]}, {a[2], b[2]});
      },
      "one scales and biases per matrix");
  expect_invalid(
      [&] {
        quantized_matmul_many(x, {a[0], b[0]}, {a[1], b[1]}, {a[2]});
      },
      "got 2 matrices, 2 scales and 1 biases");
  expect_invalid([&] { quantized_matmul_many(x, {fp[0]}, {fp[1]}, {a[2]}, 32, 4, "mxfp4"); },
                 "(and no biases)");
  expect_invalid(
      [&] {
        quantized_matmul_many(x, {a[0], narrow[0]}, {a[1], narrow[1]}, {a[2], narrow[2]});
      },
      "does not match");
  expect_invalid(
      [&] {
        quantized_matmul_many(x, {reshape(a[0], {1, 8, 32})}, {reshape(a[1], {1, 8, 4})},
                              {reshape(a[2], {1, 8, 4})});
      },
      "must be 2-D");
  expect_invalid(
      [&] {
        quantized_matmul_many(x, {a[0], b[0]}, {a[1], astype(b[1], bfloat16)},
                              {a[2], astype(b[2], bfloat16)});
      },
      "one dtype");
}

TEST(Quantized, KernelSelection) {
  const auto kernels = q::available_kernels();
  EXPECT_EQ(kernels.front(), q::Kernel::scalar);
  EXPECT_EQ(kernels[1], q::Kernel::generic);
  q::set_kernel(q::Kernel::generic);
  EXPECT_EQ(q::active_kernel(), q::Kernel::generic);
  q::set_kernel(std::nullopt);
  for (q::Kernel k : {q::Kernel::avx2, q::Kernel::avx512, q::Kernel::avx512bf16}) {
    const bool have = std::find(kernels.begin(), kernels.end(), k) != kernels.end();
    if (!have) {
      EXPECT_THROW(q::set_kernel(k), Unsupported);
    }
  }
}

// ---------------------------------------------------------------- batching

TEST(Quantized, BatchAxesBroadcastAndVectorsWork) {
  const array w = make_array(normal_values(3 * 24 * 64, 0.1, 7), {3, 24, 64}, float32);
  const auto qw = quantize(w, 32, 4);
  const array x = make_array(normal_values(2 * 3 * 5 * 64, 1.0, 8), {2, 3, 5, 64}, float32);
  const array y = quantized_matmul(x, qw[0], qw[1], qw[2], true, 32, 4);
  ASSERT_EQ(y.shape(), Shape({2, 3, 5, 24}));
  const array deq = dequantize(qw[0], qw[1], qw[2], 32, 4);
  expect_close(y, values<double>(matmul(x, swapaxes(deq, -1, -2))), 2e-5);
  // One x broadcast over the batch of weights: every product reads the same x (prepared once).
  const array x1 = make_array(normal_values(5 * 64, 1.0, 11), {1, 5, 64}, float32);
  const array y1 = quantized_matmul(x1, qw[0], qw[1], qw[2], true, 32, 4);
  ASSERT_EQ(y1.shape(), Shape({3, 5, 24}));
  expect_close(y1, values<double>(matmul(x1, swapaxes(deq, -1, -2))), 2e-5);
  // Shared 2-D weight over a batch of x, and a 1-D x.
  const auto q2 = quantize(reshape(slice(w, {0, 0, 0}, {1, 24, 64}), {24, 64}), 64, 8);
  const array y2 = quantized_matmul(x, q2[0], q2[1], q2[2], true, 64, 8);
  const array d2 = dequantize(q2[0], q2[1], q2[2], 64, 8);
  expect_close(y2, values<double>(matmul(x, transpose(d2))), 2e-5);
  const array xv = make_array(normal_values(64, 1.0, 9), {64}, float32);
  const array yv = quantized_matmul(xv, q2[0], q2[1], q2[2], true, 64, 8);
  ASSERT_EQ(yv.shape(), Shape({24}));
  expect_close(yv, values<double>(matmul(xv, transpose(d2))), 2e-5);
  // Non-contiguous x and weights.
  const array xt = transpose(make_array(normal_values(64 * 6, 1.0, 10), {64, 6}, float32));
  const array yt = quantized_matmul(xt, q2[0], q2[1], q2[2], true, 64, 8);
  expect_close(yt, values<double>(matmul(xt, transpose(d2))), 2e-5);
  const array wsl = slice(qw[0], {0, 0, 0}, {3, 24, 8}, {1, 2, 1});
  const array ssl = slice(qw[1], {0, 0, 0}, {3, 24, 2}, {1, 2, 1});
  const array bsl = slice(qw[2], {0, 0, 0}, {3, 24, 2}, {1, 2, 1});
  const array ys = quantized_matmul(x, wsl, ssl, bsl, true, 32, 4);
  const array ds = dequantize(wsl, ssl, bsl, 32, 4);
  expect_close(ys, values<double>(matmul(x, swapaxes(ds, -1, -2))), 2e-5);
}

TEST(Quantized, BatchedWeightWithoutBatchedXIsAnError) {
  const auto qw = quantize(zeros({2, 8, 64}, float32), 64, 4);
  expect_invalid([&] { quantized_matmul(zeros({3, 64}), qw[0], qw[1], qw[2]); }, "batched x");
  // A batch of one is fine.
  const auto q1 = quantize(ones({1, 8, 64}, float32), 64, 4);
  const array y = quantized_matmul(ones({3, 64}), q1[0], q1[1], q1[2]);
  ASSERT_EQ(y.shape(), Shape({3, 8}));
  expect_close(y, std::vector<double>(24, 64.0), 1e-4);
}

// A prompt through a MoE layer: tokens routed to the same expert are computed together
// (one GEMV pass for up to 8 rows, passes over blocks of 8 up to 16, GEMM beyond). Experts
// 0-4 serve 1, 3, 18, 14 and 0 tokens, each token two distinct experts: every kernel
// against the scalar reference, and the reference against each token's own product.
TEST(Quantized, GatherQmmGroupsTheTokensOfEachExpert) {
  const int K = 128, T = 18;
  std::vector<int> route;  // [T, 2]
  for (int t = 0; t < T; ++t) {
    route.push_back(t < 12 ? 2 : 3);
    route.push_back(t == 0 ? 0 : t < 4 ? 1 : t < 12 ? 3 : 2);
  }
  uint32_t seed = 3100;
  for (const bool transpose : {true, false}) {
    const int N = transpose ? 24 : 64;  // W [N, K] or [K, N], quantized along its rows
    for (const Dtype dt : {bfloat16, float32}) {
      const Shape wshape = transpose ? Shape{5, N, K} : Shape{5, K, N};
      const array w = make_array(normal_values(5 * N * K, 0.1, seed++), wshape, dt);
      const auto qw = quantize(w, 64, 4);
      const array x = make_array(normal_values(T * K, 1.0, seed++), {T, 1, 1, K}, dt);
      const array idx = array(route.data(), {T, 2}, int32);
      auto run = [&] {
        return values<double>(
            gather_qmm(x, qw[0], qw[1], qw[2], std::nullopt, idx, transpose, 64, 4));
      };
      const std::string what = std::string(transpose ? "T " : "N ") + std::string(dtype_name(dt));
      expect_kernels_match_scalar(run, dt, what);
      const auto got = with_kernel(q::Kernel::scalar, run);
      ASSERT_EQ(got.size(), size_t(T * 2 * N));
      for (int i = 0; i < T * 2; ++i) {
        const int e = route[i];
        const array want = quantized_matmul(take(x, i / 2, 0), take(qw[0], e, 0), take(qw[1], e, 0),
                                            take(qw[2], e, 0), transpose, 64, 4);
        const auto wv = with_kernel(q::Kernel::scalar, [&] { return values<double>(want); });
        for (int n = 0; n < N; ++n) {
          ASSERT_EQ(got[i * N + n], wv[n]) << what << " token " << i / 2 << " expert " << e;
        }
      }
    }
  }
}

TEST(Quantized, GatherQmmPicksMatricesByIndex) {
  const array w = make_array(normal_values(4 * 16 * 64, 0.1, 21), {4, 16, 64}, float32);
  const auto qw = quantize(w, 64, 4);
  const array x = make_array(normal_values(3 * 2 * 64, 1.0, 22), {3, 2, 64}, float32);
  const array lhs = array({2, 0, 1, 2}, {4}, int32);
  const array rhs = array({3, 3, 0, 1}, {4}, uint8);
  for (const bool transpose : {true}) {
    const array y = gather_qmm(x, qw[0], qw[1], qw[2], lhs, rhs, transpose, 64, 4);
    ASSERT_EQ(y.shape(), Shape({4, 2, 16}));
    const std::vector<int> li{2, 0, 1, 2}, ri{3, 3, 0, 1};
    for (int i = 0; i < 4; ++i) {
      const array xi = take(x, li[i], 0);
      const array want = quantized_matmul(xi, take(qw[0], ri[i], 0), take(qw[1], ri[i], 0),
                                          take(qw[2], ri[i], 0), transpose, 64, 4);
      expect_close(take(y, i, 0), values<double>(want), 1e-5);
    }
  }
  // Only rhs: lhs defaults to x's batch in order and broadcasts against rhs [3, 2].
  const array rhs2 = array({0, 1, 2, 3, 1, 0}, {3, 2}, uint32);
  const array y2 = gather_qmm(reshape(x, {3, 1, 2, 64}), qw[0], qw[1], qw[2], std::nullopt, rhs2);
  ASSERT_EQ(y2.shape(), Shape({3, 2, 2, 16}));
  const std::vector<int> r2{0, 1, 2, 3, 1, 0};
  for (int i = 0; i < 6; ++i) {
    const array want = quantized_matmul(take(x, i / 2, 0), take(qw[0], r2[i], 0),
                                        take(qw[1], r2[i], 0), take(qw[2], r2[i], 0));
    expect_close(take(reshape(y2, {6, 2, 16}), i, 0), values<double>(want), 1e-5);
  }
  // Prefill-sized products (GEMM path) and the fp modes.
  const array xl = make_array(normal_values(2 * 40 * 64, 1.0, 23), {2, 40, 64}, float32);
  const auto qm = quantize(w, 32, 4, "mxfp4");
  const array yl = gather_qmm(xl, qm[0], qm[1], std::nullopt, array({1, 0}, {2}, int32),
                              array({2, 3}, {2}, int32), true, 32, 4, "mxfp4");
  for (int i = 0; i < 2; ++i) {
    const array want = quantized_matmul(take(xl, 1 - i, 0), take(qm[0], 2 + i, 0),
                                        take(qm[1], 2 + i, 0), std::nullopt, true, 32, 4, "mxfp4");
    expect_close(take(yl, i, 0), values<double>(want), 1e-5);
  }
}

TEST(Quantized, GatherQmmIndicesOutOfRangeThrowFromEval) {
  const auto qw = quantize(zeros({4, 8, 64}, float32), 64, 4);
  const array x = zeros({3, 1, 64});
  for (const auto& [lhs, rhs, fragment] : std::vector<std::tuple<array, array, std::string>>{
           {array({0, 3}, {2}, int32), array({0, 1}, {2}, int32), "lhs index 3"},
           {array({0, 1}, {2}, int32), array({0, 4}, {2}, int32), "rhs index 4"},
           {array({0, 1}, {2}, int32), array({-1, 0}, {2}, int32), "rhs index -1"},
           {array({0, 1}, {2}, int32), array({uint32_t(1) << 31, 0u}, {2}, uint32),
            "rhs index 2147483648"}}) {
    array y = gather_qmm(x, qw[0], qw[1], qw[2], lhs, rhs);
    expect_invalid([&] { y.eval(); }, "[gather_qmm] " + fragment);
  }
}

// ------------------------------------------------------------------- fp8

TEST(Quantized, Fp8CodesRoundTripAndRoundToNearestEven) {
  std::vector<double> codes(256);
  for (int i = 0; i < 256; ++i) {
    codes[i] = i;
  }
  const array c = make_array(codes, {256}, uint8);
  const auto dec = values<double>(from_fp8(c, float32));
  for (int i = 0; i < 256; ++i) {
    const double want = (i & 0x7f) == 0x7f ? ((i & 0x80) ? -480.0 : 480.0) : e4m3(i);
    EXPECT_EQ(dec[i], want) << i;
    EXPECT_EQ(std::signbit(dec[i]), (i & 0x80) != 0) << i;
  }
  // Every code except the +-480 pair survives to_fp8(from_fp8(code)).
  const auto back = values<int>(to_fp8(from_fp8(c, float16)));
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(back[i], (i & 0x7f) == 0x7f ? (i & 0x80) | 0x7e : i) << i;
  }
  // Midpoints round to the even code; past 448 saturates; inf and NaN give 448 too.
  std::vector<double> probe, want;
  for (int i = 0; i < 0x7e; ++i) {
    const double mid = (e4m3(i) + e4m3(i + 1)) / 2;
    probe.push_back(mid);
    want.push_back((i % 2 == 0) ? i : i + 1);
    probe.push_back(std::nextafter(static_cast<float>(mid), 0.0f));
    want.push_back(i);
    probe.push_back(-std::nextafter(static_cast<float>(mid), 1e9f));
    want.push_back(0x80 | (i + 1));
  }
  for (double v : {448.0, 460.0, 1e6, double(INFINITY), double(NAN)}) {
    probe.push_back(v);
    want.push_back(0x7e);
  }
  const auto got = values<int>(to_fp8(make_array(probe, {int(probe.size())}, float32)));
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << "for " << probe[i];
  }
  EXPECT_EQ(values<int>(to_fp8(make_array({0.3}, {1}, float64)))[0], 0x2a);
  EXPECT_EQ(from_fp8(c, bfloat16).dtype(), bfloat16);
}

// The global scale is the weight's max |w| (so scale codes stay below 448): the round trip
// holds, and without it dequantize gives the same values times 448 * 6 / global.
TEST(Quantized, Nvfp4GlobalScaleRoundTrips) {
  const array w = make_array(normal_values(4 * 64, 2.0, 31), {4, 64}, float32);
  const auto wv = values<double>(w);
  double amax = 0;
  for (double v : wv) {
    amax = std::max(amax, std::abs(v));
  }
  const array gs = array(static_cast<float>(amax));
  const auto qw = quantize(w, std::nullopt, std::nullopt, "nvfp4", gs);
  ASSERT_EQ(qw.size(), 2u);
  const array back =
      dequantize(qw[0], qw[1], std::nullopt, std::nullopt, std::nullopt, "nvfp4", gs, float32);
  const auto bv = values<double>(back);
  for (size_t i = 0; i < wv.size(); ++i) {
    EXPECT_NEAR(bv[i], wv[i], amax / 8) << i;
  }
  const auto plain = values<double>(
      dequantize(qw[0], qw[1], std::nullopt, std::nullopt, std::nullopt, "nvfp4", {}, float32));
  for (size_t i = 0; i < wv.size(); ++i) {
    EXPECT_NEAR(plain[i] * static_cast<float>(amax) / 2688.0, bv[i], 1e-6 * (1 + std::abs(bv[i])))
        << i;
  }
}

TEST(Quantized, DefaultsAndOutputDtypes) {
  const auto qw = quantize(zeros({2, 128}, bfloat16));
  ASSERT_EQ(qw.size(), 3u);
  EXPECT_EQ(qw[0].shape(), Shape({2, 16}));  // 4 bits
  EXPECT_EQ(qw[1].shape(), Shape({2, 2}));   // group size 64
  EXPECT_EQ(qw[1].dtype(), bfloat16);
  EXPECT_EQ(dequantize(qw[0], qw[1], qw[2]).dtype(), bfloat16);
  const auto mx = quantize(zeros({2, 128}, float16), std::nullopt, std::nullopt, "mxfp8");
  EXPECT_EQ(mx[0].shape(), Shape({2, 32}));
  EXPECT_EQ(mx[1].shape(), Shape({2, 4}));
  EXPECT_EQ(mx[1].dtype(), uint8);
  EXPECT_EQ(dequantize(mx[0], mx[1], std::nullopt, std::nullopt, std::nullopt, "mxfp8").dtype(),
            bfloat16);
  EXPECT_EQ(dequantize(mx[0], mx[1], std::nullopt, std::nullopt, std::nullopt, "mxfp8", {}, float64)
                .dtype(),
            float64);
  // Scales promote with x; fp modes keep x's dtype.
  EXPECT_EQ(quantized_matmul(zeros({1, 128}, float32), qw[0], qw[1], qw[2]).dtype(), float32);
  EXPECT_EQ(quantized_matmul(zeros({1, 128}, float16), qw[0], qw[1], qw[2]).dtype(), float32);
  EXPECT_EQ(quantized_matmul(zeros({1, 128}, float16), mx[0], mx[1], std::nullopt, true,
                             std::nullopt, std::nullopt, "mxfp8")
                .dtype(),
            float16);
  // Empty and zero-K products.
  const auto qe = quantize(zeros({0, 64}, float32));
  EXPECT_EQ(quantized_matmul(zeros({3, 64}), qe[0], qe[1], qe[2]).shape(), Shape({3, 0}));
  EXPECT_EQ(quantized_matmul(zeros({0, 2}), qw[0], qw[1], qw[2], false).shape(), Shape({0, 128}));
}

// ------------------------------------------------------------------ errors

TEST(Quantized, ArgumentErrors) {
  const array w = zeros({8, 256});
  const auto qw = quantize(w);
  const array x = zeros({1, 256});
  expect_invalid([&] { quantize(w, 48); }, "group size 48 is not supported");
  expect_invalid([&] { quantize(w, 0); }, "group size 0 is not supported");
  expect_invalid([&] { quantize(w, 64, 7); }, "number of bits 7 is not supported");
  expect_invalid([&] { quantize(w, 64, 1); }, "number of bits 1 is not supported");
  expect_invalid([&] { quantize(zeros({8, 96}), 64); }, "divisible by the quantization group");
  expect_invalid([&] { quantize(zeros({256})); }, "at least 2 dimensions");
  expect_invalid([&] { quantize(zeros({8, 256}, int32)); }, "Only real floating types");
  expect_invalid([&] { quantize(zeros({8, 256}, float64)); }, "float64");
  expect_invalid([&] { quantize(w, 64, 4, "int4"); }, "Invalid quantization mode 'int4'");
  expect_invalid([&] { quantize(w, 16, 4, "mxfp4"); }, "mxfp4 quantization requires group size 32");
  expect_invalid([&] { quantize(w, 32, 8, "mxfp4"); }, "requires bits to be 4");
  expect_invalid([&] { quantize(w, 64, 4, "affine", array(1.0f)); }, "only supported for 'nvfp4'");
  expect_invalid([&] { quantize(w, 16, 4, "nvfp4", array({1.0f, 2.0f})); }, "must be a scalar");
  expect_invalid([&] { quantize(w, 16, 4, "nvfp4", array(1, int32)); }, "dtype float32");

  expect_invalid([&] { dequantize(qw[0], qw[1]); }, "Biases must be provided");
  expect_invalid([&] { dequantize(qw[0], qw[1], qw[2], 48); }, "group size 48");
  expect_invalid([&] { dequantize(qw[0], qw[1], qw[2], 64, 7); }, "number of bits 7");
  expect_invalid([&] { dequantize(qw[0], qw[1], qw[2], 32); }, "incompatible");
  expect_invalid([&] { dequantize(qw[0], qw[1], zeros({8, 3})); }, "same shape");
  expect_invalid([&] { dequantize(qw[0], zeros({4, 4}), zeros({4, 4})); }, "incompatible");
  expect_invalid([&] { dequantize(astype(qw[0], int32), qw[1], qw[2]); }, "uint32");
  expect_invalid([&] { dequantize(qw[0], astype(qw[1], int32), qw[2]); }, "scales.dtype()");
  expect_invalid([&] { dequantize(qw[0], qw[1], qw[2], 64, 4, "affine", {}, int32); },
                 "output dtype");
  expect_invalid([&] { dequantize(qw[0], qw[1], qw[2], 32, 4, "mxfp4"); },
                 "Scale type must be uint8");
  const auto mx = quantize(w, 32, 4, "mxfp4");
  expect_invalid([&] { dequantize(mx[0], mx[1], mx[1], 32, 4, "mxfp4"); }, "Biases must be null");
  expect_invalid([&] { dequantize(reshape(qw[0], {256}), qw[1], qw[2]); }, "at least 2 dim");

  expect_invalid([&] { quantized_matmul(x, qw[0], qw[1]); }, "Biases must be provided");
  expect_invalid([&] { quantized_matmul(x, qw[0], qw[1], zeros({8, 2})); }, "same shape");
  expect_invalid([&] { quantized_matmul(x, qw[0], qw[1], qw[2], true, 48); }, "group size 48");
  expect_invalid([&] { quantized_matmul(x, qw[0], qw[1], qw[2], true, 64, 7); }, "bits 7");
  expect_invalid([&] { quantized_matmul(x, qw[0], qw[1], qw[2], true, 64, 8); }, "incompatible");
  expect_invalid(
      [&] {
        quantized_matmul(zeros({1, 128}), qw[0], qw[1], qw[2]);
      },
      "does not match the expanded quantized matrix");
  expect_invalid([&] { quantized_matmul(x, qw[0], qw[1], qw[2], false); }, "does not match");
  expect_invalid(
      [&] {
        quantized_matmul(zeros({1, 256}, int32), qw[0], astype(qw[1], int32), astype(qw[2], int32));
      },
      "Only real floating types");
  expect_invalid([&] { quantized_matmul(astype(x, float64), qw[0], qw[1], qw[2]); }, "float64");
  expect_invalid([&] { quantized_matmul(x, astype(qw[0], int32), qw[1], qw[2]); }, "uint32");
  expect_invalid(
      [&] {
        quantized_matmul(x, qw[0], slice(qw[1], {0, 0}, {4, 4}), slice(qw[2], {0, 0}, {4, 4}));
      },
      "incompatible");
  expect_invalid([&] { quantized_matmul(array(1.0f), qw[0], qw[1], qw[2]); }, "at least one");
  expect_invalid([&] { quantized_matmul(x, qw[0], qw[1], qw[2], true, 64, 4, "fp4"); },
                 "Invalid quantization mode 'fp4'");
  expect_invalid([&] { quantized_matmul(x, mx[0], mx[1], std::nullopt, true, 16, 4, "mxfp4"); },
                 "requires group size 32");
  expect_invalid(
      [&] {
        quantized_matmul(zeros({1, 256}, int32), mx[0], mx[1], std::nullopt, true, 32, 4, "mxfp4");
      },
      "Only real floating types");

  expect_invalid([&] { gather_qmm(x, qw[0], qw[1], qw[2], array({0.5f})); },
                 "Indices must be integral");
  expect_invalid([&] { gather_qmm(zeros({256}), qw[0], qw[1], qw[2], array({0})); },
                 "at least two dimensions");
  expect_invalid([&] { gather_qmm(x, qw[0], qw[1], std::nullopt, array({0})); },
                 "Biases must be provided");

  expect_invalid([&] { to_fp8(zeros({4}, int32)); }, "[to_fp8] Only real floating");
  expect_invalid([&] { from_fp8(zeros({4}, int32), float32); },
                 "[from_fp8] Input must have type uint8");
  expect_invalid([&] { from_fp8(zeros({4}, uint8), int32); }, "Only real floating");
}

}  // namespace
}  // namespace mlxcpp::test
