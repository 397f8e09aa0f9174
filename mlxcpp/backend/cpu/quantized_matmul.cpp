// QuantizedMatmul and GatherQMM on the CPU.
//
// Every product is a list of 2-D problems out[M, N] = x[M, K] W^T (transpose) or x W, with W
// packed as MLX packs it. Three paths compute them, all in float32:
//   * decode and short prompts, M <= kGemvBlockedMaxRows: GEMV (passes of up to kGemvMaxRows
//     rows), split over the output columns on the pool. The transposed layout uses the
//     AVX-512 / AVX2 loops (affine 4 and 8 bits) or a portable loop; the other layout
//     dequantizes each row of W once and accumulates x[m, k] * row.
//   * longer prompts: W is dequantized to float32 in chunks of output columns and multiplied
//     with cpu::gemm.
//   * MLXCPP_QMM_KERNEL=scalar: a plain reference (one element at a time, read straight from
//     the bit stream) that the tests compare the others against.
// GatherQMM groups its products by W, so that the tokens routed to one expert share a pass.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "mlxcpp/backend/cpu/blas.h"
#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/quantized.h"
#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

// ---------------------------------------------------------- kernel selection

namespace cpu::quant {

namespace {

std::atomic<int> g_override{-1};

constexpr Kernel kAllKernels[] = {Kernel::scalar, Kernel::generic, Kernel::avx2, Kernel::avx512,
                                  Kernel::avx512bf16};

struct EnvChoice {
  std::optional<Kernel> kernel;  // nullopt: auto
  std::string error;
};

const EnvChoice& env_choice() {
  static const EnvChoice choice = [] {
    EnvChoice c;
    const char* env = std::getenv("MLXCPP_QMM_KERNEL");
    const std::string v = env ? env : "";
    if (v.empty() || v == "auto") {
      return c;
    }
    for (Kernel k : kAllKernels) {
      if (v == kernel_name(k)) {
        c.kernel = k;
        return c;
      }
    }
    c.error =
        "[quantized_matmul] MLXCPP_QMM_KERNEL must be auto, scalar, generic, avx2, avx512 or "
        "avx512bf16; got '" +
        v + "'.";
    return c;
  }();
  return choice;
}

bool available(Kernel k) {
  switch (k) {
    case Kernel::avx2:
      return cpu_has_avx2();
    case Kernel::avx512:
      return cpu_has_avx512();
    case Kernel::avx512bf16:
      return cpu_has_avx512bf16();
    default:
      return true;
  }
}

void check_available(Kernel k) {
  if (!available(k)) {
    throw Unsupported(std::string("[quantized_matmul] The ") + kernel_name(k) +
                      " kernels cannot run on this CPU or build.");
  }
}

}  // namespace

const char* kernel_name(Kernel k) {
  switch (k) {
    case Kernel::scalar:
      return "scalar";
    case Kernel::generic:
      return "generic";
    case Kernel::avx2:
      return "avx2";
    case Kernel::avx512:
      return "avx512";
    case Kernel::avx512bf16:
      break;
  }
  return "avx512bf16";
}

std::vector<Kernel> available_kernels() {
  std::vector<Kernel> out;
  for (Kernel k : kAllKernels) {
    if (available(k)) {
      out.push_back(k);
    }
  }
  return out;
}

Kernel active_kernel() {
  const int o = g_override.load(std::memory_order_relaxed);
  if (o >= 0) {
    return static_cast<Kernel>(o);
  }
  const EnvChoice& c = env_choice();
  if (!c.error.empty()) {
    throw std::invalid_argument(c.error);
  }
  if (c.kernel) {
    check_available(*c.kernel);
    return *c.kernel;
  }
  static const Kernel best = available_kernels().back();
  return best;
}

void set_kernel(std::optional<Kernel> k) {
  if (k) {
    check_available(*k);
  }
  g_override.store(k ? static_cast<int>(*k) : -1, std::memory_order_relaxed);
}

int x_layout_unit(Kernel k, int bits) {
  if (bits != 4) {
    return 0;
  }
  // The BF16 kernel reads its own bfloat16 parts (prepare_x_bf16), made from natural order.
  return k == Kernel::avx512 ? 32 : k == Kernel::avx2 ? 16 : 0;
}

}  // namespace cpu::quant

namespace {

using cpu::quant::Format;
using cpu::quant::GemvTile;
using cpu::quant::Kernel;

// GEMV serves up to this many activation rows in one pass, and up to kGemvBlockedMaxRows in
// passes over blocks of rows; more go through dequantize + GEMM. GEMM's cost barely changes
// from 9 to 32 rows, so below ~16 rows the GEMV passes are 1.3-2.4x faster on AVX-512
// (`quantized_bench --benchmark_filter=QmmRows`).
constexpr int64_t kGemvMaxRows = 8;
constexpr int64_t kGemvBlockedMaxRows = 16;

// One shape for every product of a primitive.
struct Problem {
  Format f;
  bool transpose;
  int64_t M, N, K;
  Dtype dtype;         // x, the output, and for affine the scales and biases
  Dtype scale_dtype;   // dtype, or uint8 codes for the fp modes
  int64_t row_bytes;   // one row of packed W
  int64_t row_groups;  // scales per row of W
  int64_t G() const { return K / f.group_size; }
};

// Where one product's operands live (each row-major).
struct Product {
  const void* x;
  const uint8_t* w;
  const void* scales;
  const void* biases;  // null for the fp modes
  void* out;
};

// Stores n floats as dtype (float32, float16 or bfloat16), each at dst[i * stride].
void store_floats(const float* src, Dtype dtype, void* dst, int64_t n, int64_t stride) {
  cpu::quant::with_float_type(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* d = static_cast<T*>(dst);
    for (int64_t i = 0; i < n; ++i) {
      d[i * stride] = T(src[i]);
    }
  });
}

const char* byte_ptr(const void* p, int64_t elements, Dtype t) {
  return static_cast<const char*>(p) + elements * int64_t(size_of(t));
}

// ------------------------------------------------------------ scalar reference

// Code i of a packed row, read straight from the little-endian bit stream.
uint32_t read_code(const uint8_t* row, int64_t i, int bits) {
  const int64_t bit = i * bits;
  const int shift = static_cast<int>(bit & 7);
  uint32_t v = row[bit >> 3];
  if (shift + bits > 8) {
    v |= uint32_t(row[(bit >> 3) + 1]) << 8;
  }
  return (v >> shift) & ((1u << bits) - 1);
}

float code_value(const Format& f, uint32_t code) {
  if (f.affine()) {
    return static_cast<float>(code);
  }
  return f.bits == 4 ? cpu::quant::kFp4Values[code] : cpu::quant::e4m3_to_float(uint8_t(code));
}

// W[n, k] of the product (x @ W^T), decoded one element at a time.
float scalar_weight(const Problem& p, const Product& pr, int64_t n, int64_t k) {
  const int64_t row = p.transpose ? n : k;
  const int64_t col = p.transpose ? k : n;
  const int64_t gi = row * p.row_groups + col / p.f.group_size;
  float s, b = 0.0f;
  cpu::quant::scales_to_float(p.f, byte_ptr(pr.scales, gi, p.scale_dtype), p.scale_dtype, 1, &s);
  if (pr.biases) {
    cpu::quant::to_float_values(byte_ptr(pr.biases, gi, p.dtype), p.dtype, 1, &b);
  }
  const float v = code_value(p.f, read_code(pr.w + row * p.row_bytes, col, p.f.bits));
  return p.f.affine() ? v * s + b : v * s;
}

// out[m, n] = sum_k x[m, k] W[n, k], one output column (all m) per task.
void run_scalar(const Problem& p, const std::vector<Product>& prods) {
  cpu::parallel_for(int64_t(prods.size()) * p.N, 8, [&](int64_t b, int64_t e) {
    std::vector<float> wcol(p.K), xrow(p.K);
    for (int64_t t = b; t < e; ++t) {
      const Product& pr = prods[t / p.N];
      const int64_t n = t % p.N;
      for (int64_t k = 0; k < p.K; ++k) {
        wcol[k] = scalar_weight(p, pr, n, k);
      }
      for (int64_t m = 0; m < p.M; ++m) {
        cpu::quant::to_float_values(byte_ptr(pr.x, m * p.K, p.dtype), p.dtype, p.K, xrow.data());
        float acc = 0.0f;
        for (int64_t k = 0; k < p.K; ++k) {
          acc += xrow[k] * wcol[k];
        }
        store_floats(&acc, p.dtype, static_cast<char*>(pr.out) + (m * p.N + n) * size_of(p.dtype),
                     1, 1);
      }
    }
  });
}

// ------------------------------------------------------------ dequantization

// out = value(q) * s (+ b) for count elements (whole groups) of a packed row.
void dequant_span(const Format& f, Kernel kernel, const uint8_t* w, const float* s, const float* b,
                  int64_t count, float* out) {
  if (cpu::quant::isa_supports(f) && kernel == Kernel::avx512) {
    return cpu::quant::dequant_affine_avx512(f.bits, w, s, b, count, f.group_size, out);
  }
  if (cpu::quant::isa_supports(f) && kernel == Kernel::avx2) {
    return cpu::quant::dequant_affine_avx2(f.bits, w, s, b, count, f.group_size, out);
  }
  uint8_t q[128];
  const int gs = f.group_size;
  for (int64_t g = 0; g < count / gs; ++g) {
    cpu::quant::unpack_codes(f.bits, w + g * gs * f.bits / 8, gs, q);
    float* o = out + g * gs;
    if (f.affine()) {
      for (int j = 0; j < gs; ++j) {
        o[j] = static_cast<float>(q[j]) * s[g] + b[g];
      }
    } else {
      for (int j = 0; j < gs; ++j) {
        o[j] = code_value(f, q[j]) * s[g];
      }
    }
  }
}

// n float16 values as float32, exactly (subnormals, infinities and NaN included), written
// without branches so that the compiler vectorises it: the GEMV converts every scale and
// bias it reads, as many values per call as a 4096-wide activation.
void halves_to_float(const uint16_t* src, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t h = src[i];
    const uint32_t em = h & 0x7fffu;
    // Exponent and mantissa moved into float position: a float 2^-112 times the value, which
    // one multiplication rescales (exact, subnormal halves included).
    float f;
    const uint32_t shifted = em << 13;
    std::memcpy(&f, &shifted, sizeof(f));
    f *= 0x1p112f;
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof(bits));
    bits = em >= 0x7c00u ? (shifted | 0x7f800000u) : bits;  // inf and NaN keep their payload
    bits |= (h & 0x8000u) << 16;
    std::memcpy(out + i, &bits, sizeof(bits));
  }
}

// n bfloat16 values as float32 (vectorised as halves_to_float).
void bfloats_to_float(const uint16_t* src, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t bits = uint32_t(src[i]) << 16;
    std::memcpy(out + i, &bits, sizeof(bits));
  }
}

// n values of a float32, float16 or bfloat16 array as float32.
void floats_of(const void* src, Dtype dtype, int64_t n, float* out) {
  if (dtype == float16) {
    halves_to_float(static_cast<const uint16_t*>(src), n, out);
  } else if (dtype == bfloat16) {
    bfloats_to_float(static_cast<const uint16_t*>(src), n, out);
  } else {
    cpu::quant::to_float_values(src, dtype, n, out);
  }
}

// Float scales and biases of `groups` groups starting at group gi.
void load_groups(const Problem& p, const Product& pr, int64_t gi, int64_t groups, float* s,
                 float* b) {
  if (p.f.affine()) {
    floats_of(byte_ptr(pr.scales, gi, p.scale_dtype), p.scale_dtype, groups, s);
  } else {
    cpu::quant::scales_to_float(p.f, byte_ptr(pr.scales, gi, p.scale_dtype), p.scale_dtype, groups,
                                s);
  }
  if (pr.biases) {
    floats_of(byte_ptr(pr.biases, gi, p.dtype), p.dtype, groups, b);
  }
}

// ------------------------------------------------------------------- GEMV

// Which loop serves a GEMV.
enum class GemvPath { generic, avx2, avx512, bf16 };

GemvPath gemv_path(const Problem& p, Kernel kernel) {
  if (!p.transpose || !cpu::quant::isa_supports(p.f)) {
    return GemvPath::generic;
  }
  switch (kernel) {
    case Kernel::avx512bf16:
      // 8-bit codes do not fit the 4-bit lookup; their float loop is not ALU-bound.
      return p.f.bits == 4 ? GemvPath::bf16 : GemvPath::avx512;
    case Kernel::avx512:
      return GemvPath::avx512;
    case Kernel::avx2:
      return GemvPath::avx2;
    default:
      return GemvPath::generic;
  }
}

// x of every product as float32 in the GEMV kernel's layout (or, for the BF16 kernel, as
// bfloat16 parts), and its group sums.
struct PreparedX {
  std::vector<float> x;      // [P][M][K] (other kernels than the BF16 one)
  std::vector<float> xsum;   // [P][M][G]
  std::vector<uint16_t> xb;  // [P][M][parts][kpad] (BF16 kernel)
  int parts = 0;
  int64_t kpad = 0;
};

// out[r] = the sum of x[r * gs .. r * gs + gs) for `groups` groups (gs a multiple of 8),
// in 8 lanes (the compiler vectorises them) added pairwise.
void group_sums(const float* x, int64_t groups, int gs, float* out) {
  for (int64_t r = 0; r < groups; ++r) {
    const float* g = x + r * gs;
    float lane[8] = {};
    for (int j = 0; j < gs; j += 8) {
      for (int l = 0; l < 8; ++l) {
        lane[l] += g[j + l];
      }
    }
    out[r] =
        ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  }
}

// The x of prods[0 .. count) (a count of 1 when every product reads the same x).
PreparedX prepare_x(const Problem& p, const std::vector<Product>& prods, size_t count,
                    GemvPath path, Kernel kernel) {
  PreparedX px;
  const int unit = path == GemvPath::generic ? 0 : cpu::quant::x_layout_unit(kernel, p.f.bits);
  const int64_t mk = p.M * p.K;
  const int64_t G = p.G();
  if (path == GemvPath::bf16) {
    // The fewest bfloat16 parts that hold the dtype's values exactly.
    px.parts = p.dtype == bfloat16 ? 1 : p.dtype == float16 ? 2 : 3;
    px.kpad = cpu::quant::bf16_padded_k(p.K);
    px.xb.resize(count * p.M * px.parts * px.kpad);
  } else {
    px.x.resize(count * mk);
  }
  px.xsum.resize(count * p.M * G);
  std::vector<float> tmp(unit > 0 || px.parts > 0 ? mk : 0);
  for (size_t i = 0; i < count; ++i) {
    float* x = px.x.empty() ? nullptr : px.x.data() + i * mk;  // the BF16 kernel reads xb
    float* natural = tmp.empty() ? x : tmp.data();
    floats_of(prods[i].x, p.dtype, mk, natural);
    group_sums(natural, p.M * G, p.f.group_size, px.xsum.data() + i * p.M * G);
    for (int64_t b = 0; unit > 0 && px.parts == 0 && b < mk; b += unit) {
      for (int j = 0; j < unit / 2; ++j) {
        x[b + j] = natural[b + 2 * j];
        x[b + unit / 2 + j] = natural[b + 2 * j + 1];
      }
    }
    for (int64_t m = 0; m < p.M && px.parts > 0; ++m) {
      cpu::quant::prepare_x_bf16(natural + m * p.K, p.K, px.parts, px.kpad,
                                 px.xb.data() + (int64_t(i) * p.M + m) * px.parts * px.kpad);
    }
  }
  return px;
}

// Portable GEMV over a tile (any format): one group of W decoded at a time.
void gemv_t_generic(const GemvTile& t, const Format& f) {
  const int gs = t.group_size;
  uint8_t q[128];
  float v[128];
  std::vector<float> tot(t.M);
  for (int64_t r = 0; r < t.rows; ++r) {
    std::fill(tot.begin(), tot.end(), 0.0f);
    const uint8_t* row = t.w + r * t.row_bytes;
    for (int g = 0; g < t.G; ++g) {
      cpu::quant::unpack_codes(f.bits, row + int64_t(g) * gs * f.bits / 8, gs, q);
      for (int j = 0; j < gs; ++j) {
        v[j] = code_value(f, q[j]);
      }
      for (int m = 0; m < t.M; ++m) {
        const float* x = t.x + int64_t(m) * t.K + int64_t(g) * gs;
        float lane[8] = {};
        for (int j = 0; j < gs; j += 8) {
          for (int l = 0; l < 8; ++l) {
            lane[l] += v[j + l] * x[j + l];
          }
        }
        const float dot = ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                          ((lane[4] + lane[5]) + (lane[6] + lane[7]));
        tot[m] += t.sf[r * t.G + g] * dot;
        if (t.bf) {
          tot[m] += t.bf[r * t.G + g] * t.xsum[int64_t(m) * t.G + g];
        }
      }
    }
    for (int m = 0; m < t.M; ++m) {
      t.res[r * t.M + m] = tot[m];
    }
  }
}

// One product's prepared activation for the GEMV loops.
struct GemvX {
  const float* x;
  const float* xsum;
  const uint16_t* xb;
  int parts;
  int64_t kpad;
};

// How many rows ahead the ISA loops prefetch W (a multiple of their 4-row blocks): ~16 KiB,
// at most 16 rows. Without it the GEMV ran at a third of the DRAM bandwidth; farther ahead
// (32 KiB, or up to 64 rows for short rows), or into L2 only, measured slower.
int64_t prefetch_rows(const Problem& p) {
  const int64_t want =
      std::max<int64_t>(1, (int64_t(16) << 10) / std::max<int64_t>(p.row_bytes, 1));
  return std::min<int64_t>(16, (want + 3) / 4 * 4);
}

// Asks for the scales and biases of the next rows while these are computed: the loops
// prefetch W, and these would otherwise be demand misses from DRAM at every tile.
void prefetch_groups(const Problem& p, const Product& pr, int64_t gi, int64_t groups) {
  const int64_t sz = size_of(p.scale_dtype);
  for (int64_t b = 0; b < groups * sz; b += 64) {
    __builtin_prefetch(byte_ptr(pr.scales, gi, p.scale_dtype) + b);
    if (pr.biases) {
      __builtin_prefetch(byte_ptr(pr.biases, gi, p.dtype) + b);
    }
  }
}

// Rows [n0, n1) of one product, transposed layout, in tiles of up to 64 rows.
void gemv_t_rows(const Problem& p, const Product& pr, const GemvX& gx, int64_t n0, int64_t n1,
                 GemvPath path) {
  constexpr int64_t kTile = 64;
  const int64_t G = p.G();
  // Per-thread scratch, kept across calls: a unit of work is only ~32 KiB of W.
  thread_local std::vector<float> sf, bf, res;
  const size_t tile = size_t(std::min(kTile, n1 - n0));
  sf.resize(std::max(sf.size(), tile * G + cpu::quant::kGemvScalePad));
  bf.resize(std::max(bf.size(), tile * G));
  res.resize(std::max(res.size(), tile * p.M));
  // bfloat16 (or float16) scales and biases with x of the same type, as MLX models have
  // them: the BF16 kernel widens them as it reads them, which saves a conversion pass over
  // every tile (and lets it prefetch them row by row with the codes).
  const bool in_place = path == GemvPath::bf16 && (p.dtype == bfloat16 || p.dtype == float16) &&
                        p.scale_dtype == p.dtype && pr.biases != nullptr;
  for (int64_t s0 = n0; s0 < n1; s0 += kTile) {
    const int64_t rows = std::min(kTile, n1 - s0);
    if (!in_place) {  // the in-place kernel reads and prefetches them row by row
      load_groups(p, pr, s0 * G, rows * G, sf.data(), bf.data());
      prefetch_groups(p, pr, (s0 + rows) * G, std::min(rows, p.N - s0 - rows) * G);
    }
    GemvTile t;
    t.w = pr.w + s0 * p.row_bytes;
    t.row_bytes = p.row_bytes;
    t.rows = rows;
    t.x = gx.x;
    t.xsum = pr.biases ? gx.xsum : nullptr;
    if (in_place) {
      t.sh = static_cast<const uint16_t*>(pr.scales) + s0 * G;
      t.bh = static_cast<const uint16_t*>(pr.biases) + s0 * G;
      t.scales_f16 = p.dtype == float16;
    } else {
      t.sf = sf.data();
      t.bf = pr.biases ? bf.data() : nullptr;
    }
    // NaN where the kernel must write, so that a row it skipped shows in the output and
    // not a value left in this per-thread scratch by an earlier call.
    std::fill(res.begin(), res.begin() + rows * p.M, std::numeric_limits<float>::quiet_NaN());
    t.res = res.data();
    t.M = int(p.M);
    t.K = int(p.K);
    t.G = int(G);
    t.group_size = p.f.group_size;
    t.bits = p.f.bits;
    t.xb = gx.xb;
    t.parts = gx.parts;
    t.kpad = gx.kpad;
    t.rows_after = p.N - (s0 + rows);
    t.prefetch_rows = prefetch_rows(p);
    switch (path) {
      case GemvPath::bf16:
        cpu::quant::gemv_t_avx512bf16(t);
        break;
      case GemvPath::avx512:
        cpu::quant::gemv_t_avx512(t);
        break;
      case GemvPath::avx2:
        cpu::quant::gemv_t_avx2(t);
        break;
      case GemvPath::generic:
        gemv_t_generic(t, p.f);
        break;
    }
    float col[kTile];
    for (int64_t m = 0; m < p.M; ++m) {
      for (int64_t r = 0; r < rows; ++r) {
        col[r] = res[r * p.M + m];
      }
      store_floats(col, p.dtype, static_cast<char*>(pr.out) + (m * p.N + s0) * size_of(p.dtype),
                   rows, 1);
    }
  }
}

// Columns [c0, c1) (whole groups) of one product, W laid out [K, N]: each row of W is
// dequantized once and accumulated into every activation row.
void gemv_n_cols(const Problem& p, const Product& pr, const float* x, int64_t c0, int64_t c1,
                 Kernel kernel) {
  const int64_t cb = c1 - c0;
  const int64_t groups = cb / p.f.group_size;
  std::vector<float> acc(p.M * cb, 0.0f), wf(cb), sf(groups), bf(groups);
  for (int64_t k = 0; k < p.K; ++k) {
    load_groups(p, pr, k * p.row_groups + c0 / p.f.group_size, groups, sf.data(), bf.data());
    dequant_span(p.f, kernel, pr.w + k * p.row_bytes + c0 * p.f.bits / 8, sf.data(), bf.data(), cb,
                 wf.data());
    for (int64_t m = 0; m < p.M; ++m) {
      const float xv = x[m * p.K + k];
      float* a = acc.data() + m * cb;
      for (int64_t j = 0; j < cb; ++j) {
        a[j] += xv * wf[j];
      }
    }
  }
  for (int64_t m = 0; m < p.M; ++m) {
    store_floats(acc.data() + m * cb, p.dtype,
                 static_cast<char*>(pr.out) + (m * p.N + c0) * size_of(p.dtype), cb, 1);
  }
}

// Runs fn(u) for every u in [0, units) on up to `threads` pool threads. Each thread walks
// its own contiguous share from the front, so its reads stay sequential (the prefetches of
// one unit warm the next); a thread that finishes early (or the caller, when a worker wakes
// late) takes units from the back of the other shares.
void run_units(int64_t units, int64_t threads, const std::function<void(int64_t)>& fn) {
  threads = std::max<int64_t>(1, std::min<int64_t>({threads, units, cpu::num_threads()}));
  if (units > int64_t(UINT32_MAX)) {
    // More units than the packed counters hold: plain chunks (never seen in practice).
    return cpu::parallel_for(units, 1, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        fn(u);
      }
    });
  }
  // Per share: the next unit from the front (low 32 bits) and the end (high 32 bits), each
  // on its own cache line: adjacent counters made every take move the line between the
  // cores (thousands of takes per decoded token).
  struct alignas(64) Share {
    std::atomic<uint64_t> v;
  };
  std::vector<Share> shares(threads);
  for (int64_t s = 0; s < threads; ++s) {
    const uint64_t lo = uint64_t(units * s / threads), hi = uint64_t(units * (s + 1) / threads);
    shares[s].v.store(lo | hi << 32, std::memory_order_relaxed);
  }
  auto take = [&](int64_t s, bool front) -> int64_t {
    uint64_t v = shares[s].v.load(std::memory_order_relaxed);
    while (true) {
      const uint64_t lo = v & 0xffffffffu, hi = v >> 32;
      if (lo >= hi) {
        return -1;
      }
      const uint64_t next = front ? (lo + 1) | hi << 32 : lo | (hi - 1) << 32;
      if (shares[s].v.compare_exchange_weak(v, next, std::memory_order_relaxed)) {
        return int64_t(front ? lo : hi - 1);
      }
    }
  };
  cpu::parallel_for(threads, 1, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s) {
      for (int64_t u = take(s, true); u >= 0; u = take(s, true)) {
        fn(u);
      }
      for (int64_t o = 1; o < threads; ++o) {
        const int64_t victim = (s + o) % threads;
        for (int64_t u = take(victim, false); u >= 0; u = take(victim, false)) {
          fn(u);
        }
      }
    }
  });
}

// The GEMV of every product over one pass of the pool. ns: each product's N when they differ
// (quantized_matmul_many; p.N otherwise). An x that every product reads (the matrices of
// quantized_matmul_many, or a broadcast x) is prepared once.
void run_gemv(const Problem& p, const std::vector<Product>& prods, Kernel kernel,
              const std::vector<int64_t>& ns = {}) {
  const GemvPath path = gemv_path(p, kernel);
  const bool shared_x = std::all_of(prods.begin(), prods.end(),
                                    [&](const Product& pr) { return pr.x == prods[0].x; });
  const PreparedX px = prepare_x(p, prods, shared_x ? 1 : prods.size(), path, kernel);
  // Units of work: rows (transposed) or 256 columns, ~64 KiB of W each; a thread per
  // ~64 KiB of W at most, so small products do not pay for waking the pool.
  const int64_t wbytes = std::max<int64_t>(1, p.transpose ? p.row_bytes : p.K * p.f.bits / 8);
  const int64_t unit =
      p.transpose ? std::max<int64_t>(4, (int64_t(64) << 10) / wbytes / 4 * 4) : 256;
  std::vector<Problem> problems(prods.size(), p);
  std::vector<int64_t> first_unit(prods.size() + 1, 0);
  for (size_t i = 0; i < prods.size(); ++i) {
    problems[i].N = ns.empty() ? p.N : ns[i];
    first_unit[i + 1] = first_unit[i] + (problems[i].N + unit - 1) / unit;
  }
  const int64_t total = first_unit.back();
  const int64_t threads = std::max<int64_t>(1, total * unit * wbytes / (int64_t(64) << 10));
  run_units(total, threads, [&](int64_t u) {
    size_t i = 0;
    while (u >= first_unit[i + 1]) {
      ++i;
    }
    const Problem& pi = problems[i];
    const int64_t lo = (u - first_unit[i]) * unit;
    const int64_t hi = std::min(pi.N, lo + unit);
    const int64_t xi = shared_x ? 0 : int64_t(i);
    const GemvX gx{
        px.x.empty() ? nullptr : px.x.data() + xi * p.M * p.K, px.xsum.data() + xi * p.M * p.G(),
        px.xb.empty() ? nullptr : px.xb.data() + xi * p.M * px.parts * px.kpad, px.parts, px.kpad};
    if (p.transpose) {
      gemv_t_rows(pi, prods[i], gx, lo, hi, path);
    } else {
      gemv_n_cols(pi, prods[i], gx.x, lo, hi, kernel);
    }
  });
}

// run_gemv for up to kGemvBlockedMaxRows rows: one pass per block of kGemvMaxRows rows (W
// read once per block; a small W stays in the cache between them). ns as for run_gemv.
void run_gemv_blocks(const Problem& p, const std::vector<Product>& prods, Kernel kernel,
                     const std::vector<int64_t>& ns = {}) {
  for (int64_t r0 = 0; r0 < p.M; r0 += kGemvMaxRows) {
    Problem q = p;
    q.M = std::min(kGemvMaxRows, p.M - r0);
    std::vector<Product> block = prods;
    for (size_t i = 0; i < block.size(); ++i) {
      const int64_t n = ns.empty() ? p.N : ns[i];
      block[i].x = static_cast<const char*>(block[i].x) + r0 * p.K * size_of(p.dtype);
      block[i].out = static_cast<char*>(block[i].out) + r0 * n * size_of(p.dtype);
    }
    run_gemv(q, block, kernel, ns);
  }
}

// ------------------------------------------------------------------- GEMM

// bfloat16 activations on a CPU with AVX-512 BF16: products of x and the codes are exact
// in bfloat16, so the dot products run on vdpbf16ps at twice the float rate.
void gemm_product_bf16(const Problem& p, const Product& pr) {
  std::vector<float> obuf(p.M * p.N);
  cpu::quant::QGemmBf16 q;
  q.x = static_cast<const uint16_t*>(pr.x);
  q.M = p.M;
  q.N = p.N;
  q.K = p.K;
  q.w = pr.w;
  q.row_bytes = p.row_bytes;
  q.bits = p.f.bits;
  q.group_size = p.f.group_size;
  q.load_groups = [&](int64_t n0, int64_t rows, float* s, float* b) {
    load_groups(p, pr, n0 * p.row_groups, rows * p.row_groups, s, b);
  };
  q.out = obuf.data();
  cpu::quant::qgemm_avx512bf16(q);
  cpu::copy_flat(obuf.data(), float32, pr.out, p.dtype, obuf.size());
}

// One product with many activation rows: W dequantized to float32 in chunks of output
// columns (at most ~8 MiB each, every thread filling rows of the chunk), then cpu::gemm.
void gemm_product(const Problem& p, const Product& pr, Kernel kernel) {
  if (kernel == Kernel::avx512bf16 && p.dtype == bfloat16 && p.transpose &&
      cpu::quant::isa_supports(p.f)) {
    return gemm_product_bf16(p, pr);
  }
  std::vector<float> xbuf, obuf;
  const float* x = static_cast<const float*>(pr.x);
  float* out = static_cast<float*>(pr.out);
  if (p.dtype != float32) {
    xbuf.resize(p.M * p.K);
    cpu::copy_flat(pr.x, p.dtype, xbuf.data(), float32, xbuf.size());
    x = xbuf.data();
    obuf.resize(p.M * p.N);
    out = obuf.data();
  }
  const int64_t align = std::max<int64_t>(p.f.group_size, 32);
  int64_t chunk = std::max<int64_t>(64, (int64_t(8) << 20) / (4 * std::max<int64_t>(p.K, 1)));
  chunk = std::min(p.N, (chunk + align - 1) / align * align);
  std::vector<float> tile(chunk * p.K);
  for (int64_t n0 = 0; n0 < p.N; n0 += chunk) {
    const int64_t nc = std::min(chunk, p.N - n0);
    const int64_t rows = p.transpose ? nc : p.K;
    const int64_t len = p.transpose ? p.K : nc;
    const int64_t groups = len / p.f.group_size;
    cpu::parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(len, 1)),
                      [&](int64_t r0, int64_t r1) {
                        std::vector<float> sf(groups), bf(groups);
                        for (int64_t r = r0; r < r1; ++r) {
                          const int64_t wrow = p.transpose ? n0 + r : r;
                          const int64_t col0 = p.transpose ? 0 : n0;
                          load_groups(p, pr, wrow * p.row_groups + col0 / p.f.group_size, groups,
                                      sf.data(), bf.data());
                          dequant_span(p.f, kernel, pr.w + wrow * p.row_bytes + col0 * p.f.bits / 8,
                                       sf.data(), bf.data(), len, tile.data() + r * len);
                        }
                      });
    cpu::gemm(false, p.transpose, p.M, nc, p.K, 1.0f, x, std::max<int64_t>(p.K, 1), tile.data(),
              p.transpose ? std::max<int64_t>(p.K, 1) : nc, 0.0f, out + n0, p.N);
  }
  if (p.dtype != float32) {
    cpu::copy_flat(obuf.data(), float32, pr.out, p.dtype, obuf.size());
  }
}

void run_products(const Problem& p, const std::vector<Product>& prods) {
  if (prods.empty() || p.M == 0 || p.N == 0) {
    return;
  }
  if (p.K == 0) {
    const float zero = 0.0f;
    for (const auto& pr : prods) {
      for (int64_t i = 0; i < p.M * p.N; ++i) {
        store_floats(&zero, p.dtype, static_cast<char*>(pr.out) + i * size_of(p.dtype), 1, 1);
      }
    }
    return;
  }
  const Kernel kernel = cpu::quant::active_kernel();
  if (kernel == Kernel::scalar) {
    run_scalar(p, prods);
  } else if (p.M <= kGemvMaxRows) {
    run_gemv(p, prods, kernel);
  } else if (p.M <= kGemvBlockedMaxRows) {
    run_gemv_blocks(p, prods, kernel);
  } else {
    for (const auto& pr : prods) {
      gemm_product(p, pr, kernel);
    }
  }
}

// ------------------------------------------------------------- batching

// An operand whose last two axes are dense and row-major (copied when they are not).
array dense_matrices(const array& a) {
  const int nd = static_cast<int>(a.ndim());
  if (nd == 0) {
    return a;
  }
  const bool last_ok = a.shape(-1) <= 1 || a.strides(-1) == 1;
  const bool rows_ok = nd < 2 || a.shape(-2) <= 1 || a.strides(-2) == a.shape(-1);
  return last_ok && rows_ok ? a : cpu::row_major(a);
}

// Element offsets of the matrices (last two axes) of a, in row-major batch order.
std::vector<int64_t> matrix_offsets(const array& a) {
  const int nb = std::max(0, static_cast<int>(a.ndim()) - 2);
  int64_t count = 1;
  for (int d = 0; d < nb; ++d) {
    count *= a.shape(d);
  }
  std::vector<int64_t> out(count, 0);
  std::vector<int> idx(nb, 0);
  int64_t off = 0;
  for (int64_t i = 0; i < count; ++i) {
    out[i] = off;
    for (int d = nb - 1; d >= 0; --d) {
      if (++idx[d] < a.shape(d)) {
        off += a.strides(d);
        break;
      }
      off -= a.strides(d) * (a.shape(d) - 1);
      idx[d] = 0;
    }
  }
  return out;
}

// Rows of x: the product of its axes but the last (x may have no columns).
int64_t rows_of(const array& x) {
  int64_t rows = 1;
  for (int d = 0; d + 1 < static_cast<int>(x.ndim()); ++d) {
    rows *= x.shape(d);
  }
  return rows;
}

struct Operands {
  array x, w, scales;
  std::optional<array> biases;
};

Problem make_problem(const Operands& o, const array& out, int group_size, int bits,
                     QuantizationMode mode, bool transpose) {
  return Problem{Format{static_cast<int>(mode), bits, group_size},
                 transpose,
                 o.x.ndim() >= 2 ? o.x.shape(-2) : 1,
                 out.shape(-1),
                 o.x.shape(-1),
                 out.dtype(),
                 o.scales.dtype(),
                 int64_t(o.w.shape(-1)) * 4,
                 o.scales.shape(-1)};
}

Product product_at(const Problem& p, const Operands& o, int64_t xo, int64_t wo, int64_t so,
                   void* out) {
  return Product{byte_ptr(o.x.data<void>(), xo, p.dtype), o.w.data<uint8_t>() + wo * 4,
                 byte_ptr(o.scales.data<void>(), so, p.scale_dtype),
                 o.biases ? byte_ptr(o.biases->data<void>(), so, p.dtype) : nullptr, out};
}

Operands dense_operands(const std::vector<array>& inputs, bool affine) {
  Operands o{dense_matrices(inputs[0]), dense_matrices(inputs[1]), dense_matrices(inputs[2]),
             std::nullopt};
  if (affine) {
    o.biases = dense_matrices(inputs[3]);
    if (o.biases->strides() != o.scales.strides()) {
      o.biases = cpu::row_major(*o.biases);
      o.scales = cpu::row_major(o.scales);
    }
  }
  return o;
}

// gather_qmm's indices (int64): each checked against its operand's batch size.
std::vector<int64_t> checked_indices(const array& idx_in, int64_t count, const char* which) {
  const array idx = cpu::row_major(idx_in);
  const int64_t* v = idx.data<int64_t>();
  std::vector<int64_t> out(idx.size());
  for (size_t i = 0; i < idx.size(); ++i) {
    if (v[i] < 0 || v[i] >= count) {
      throw std::invalid_argument("[gather_qmm] " + std::string(which) + " index " +
                                  std::to_string(v[i]) + " is out of range; expected [0, " +
                                  std::to_string(count) + ").");
    }
    out[i] = v[i];
  }
  return out;
}

// Products that read the same W, stacked into one product over all their x rows, so that
// each W is read once (GEMV up to kGemvBlockedMaxRows rows, GEMM beyond): a prompt's tokens
// routed to the same expert. by_w[w]: the products (output matrices) reading matrix w.
void run_grouped(const Problem& p, const Operands& o, const std::vector<std::vector<int64_t>>& by_w,
                 const std::vector<int64_t>& lhs, const std::vector<int64_t>& xo,
                 const std::vector<int64_t>& wo, const std::vector<int64_t>& so, char* out) {
  const int64_t xbytes = p.M * p.K * size_of(p.dtype);
  const int64_t obytes = p.M * p.N * size_of(p.dtype);
  std::vector<char> xs(lhs.size() * xbytes), os(lhs.size() * obytes);
  std::map<int64_t, std::vector<Product>> by_rows;  // one pass of the pool per row count
  int64_t at = 0;
  for (size_t w = 0; w < by_w.size(); ++w) {
    const auto& items = by_w[w];
    if (items.empty()) {
      continue;
    }
    for (size_t j = 0; j < items.size(); ++j) {
      std::memcpy(xs.data() + (at + int64_t(j)) * xbytes,
                  byte_ptr(o.x.data<void>(), xo[lhs[items[j]]], p.dtype), xbytes);
    }
    Product pr = product_at(p, o, 0, wo[w], so[w], os.data() + at * obytes);
    pr.x = xs.data() + at * xbytes;
    by_rows[int64_t(items.size()) * p.M].push_back(pr);
    at += int64_t(items.size());
  }
  for (const auto& [rows, prods] : by_rows) {
    Problem q = p;
    q.M = rows;
    run_products(q, prods);
  }
  at = 0;
  for (const auto& items : by_w) {
    for (const int64_t i : items) {
      std::memcpy(out + i * obytes, os.data() + at++ * obytes, obytes);
    }
  }
}

}  // namespace

void QuantizedMatmul::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const bool affine = mode_ == QuantizationMode::Affine;
  Operands o = dense_operands(inputs, affine);
  Problem p = make_problem(o, out, group_size_, bits_, mode_, transpose_);
  std::vector<Product> prods;
  if (o.w.ndim() == 2 || o.x.ndim() <= 2) {
    // One W for every row of x: stack all rows into one product.
    if (!o.x.flags().row_contiguous) {
      o.x = cpu::row_major(o.x);
    }
    p.M = rows_of(o.x);
    prods.push_back(product_at(p, o, 0, 0, 0, out.data<void>()));
  } else {
    const auto xo = matrix_offsets(o.x);
    const auto wo = matrix_offsets(o.w);
    const auto so = matrix_offsets(o.scales);
    const int64_t mn = p.M * p.N * size_of(p.dtype);
    for (size_t i = 0; i < xo.size(); ++i) {
      prods.push_back(product_at(p, o, xo[i], wo[i], so[i], out.data<char>() + i * mn));
    }
  }
  run_products(p, prods);
}

void QuantizedMatmulMany::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const bool affine = mode_ == QuantizationMode::Affine;
  const size_t per = affine ? 3 : 2;
  for (auto& out : outputs) {
    out.set_data(allocator::malloc(out.nbytes()));
  }
  const array x = cpu::row_major(inputs[0]);
  const int64_t rows = rows_of(x);
  if (rows == 0) {
    return;  // every output is empty (a matrix without rows is skipped below)
  }
  std::vector<Operands> ops;
  std::vector<Problem> problems;
  std::vector<Product> prods;
  std::vector<int64_t> ns;
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::vector<array> in{x, inputs[1 + per * i], inputs[2 + per * i]};
    if (affine) {
      in.push_back(inputs[3 + per * i]);
    }
    ops.push_back(dense_operands(in, affine));
    problems.push_back(make_problem(ops.back(), outputs[i], group_size_, bits_, mode_, true));
    problems.back().M = rows;
    prods.push_back(product_at(problems.back(), ops.back(), 0, 0, 0, outputs[i].data<void>()));
    ns.push_back(problems.back().N);
  }
  const Problem& p = problems[0];
  const Kernel kernel = cpu::quant::active_kernel();
  if (p.K > 0 && kernel != Kernel::scalar && p.M <= kGemvBlockedMaxRows) {
    return run_gemv_blocks(p, prods, kernel, ns);
  }
  // Many rows (or no inner dimension, or the scalar reference): one product at a time.
  for (size_t i = 0; i < prods.size(); ++i) {
    run_products(problems[i], {prods[i]});
  }
}

void GatherQMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  const bool affine = mode_ == QuantizationMode::Affine;
  const Operands o = dense_operands(inputs, affine);
  const Problem p = make_problem(o, out, group_size_, bits_, mode_, transpose_);
  const auto xo = matrix_offsets(o.x);
  const auto wo = matrix_offsets(o.w);
  const auto so = matrix_offsets(o.scales);
  const auto lhs = checked_indices(inputs[inputs.size() - 2], int64_t(xo.size()), "lhs");
  const auto rhs = checked_indices(inputs[inputs.size() - 1], int64_t(wo.size()), "rhs");
  if (out.size() == 0) {
    return;
  }
  // Products by the W they read (tokens routed to the same expert).
  std::vector<std::vector<int64_t>> by_w(wo.size());
  size_t most = 0;
  for (size_t i = 0; i < rhs.size(); ++i) {
    by_w[rhs[i]].push_back(int64_t(i));
    most = std::max(most, by_w[rhs[i]].size());
  }
  const int64_t mn = p.M * p.N * size_of(p.dtype);
  if (most <= 1) {
    std::vector<Product> prods;
    for (size_t i = 0; i < lhs.size(); ++i) {
      prods.push_back(
          product_at(p, o, xo[lhs[i]], wo[rhs[i]], so[rhs[i]], out.data<char>() + i * mn));
    }
    return run_products(p, prods);
  }
  run_grouped(p, o, by_w, lhs, xo, wo, so, out.data<char>());
}

}  // namespace mlxcpp
