// QuantizedMatmul and GatherQMM on the CPU.
//
// Every product is a list of 2-D problems out[M, N] = x[M, K] W^T (transpose) or x W, with W
// packed as MLX packs it. Three paths compute them, all in float32:
//   * decode, M <= kGemvMaxRows: GEMV, split over the output columns on the pool. The
//     transposed layout uses the AVX-512 / AVX2 loops (affine 4 and 8 bits) or a portable
//     loop; the other layout dequantizes each row of W once and accumulates x[m, k] * row.
//   * prefill: W is dequantized to float32 in chunks of output columns and multiplied with
//     cpu::gemm.
//   * MLXCPP_QMM_KERNEL=scalar: a plain reference (one element at a time, read straight from
//     the bit stream) that the tests compare the others against.
#include <algorithm>
#include <atomic>
#include <cstdlib>
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
    for (Kernel k : {Kernel::scalar, Kernel::generic, Kernel::avx2, Kernel::avx512}) {
      if (v == kernel_name(k)) {
        c.kernel = k;
        return c;
      }
    }
    c.error =
        "[quantized_matmul] MLXCPP_QMM_KERNEL must be auto, scalar, generic, avx2 or "
        "avx512; got '" +
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
      break;
  }
  return "avx512";
}

std::vector<Kernel> available_kernels() {
  std::vector<Kernel> out;
  for (Kernel k : {Kernel::scalar, Kernel::generic, Kernel::avx2, Kernel::avx512}) {
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
  return k == Kernel::avx512 ? 32 : k == Kernel::avx2 ? 16 : 0;
}

}  // namespace cpu::quant

namespace {

using cpu::quant::Format;
using cpu::quant::GemvTile;
using cpu::quant::Kernel;

// GEMV serves up to this many activation rows; more go through dequantize + GEMM.
constexpr int64_t kGemvMaxRows = 8;

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

// Float scales and biases of `groups` groups starting at group gi.
void load_groups(const Problem& p, const Product& pr, int64_t gi, int64_t groups, float* s,
                 float* b) {
  cpu::quant::scales_to_float(p.f, byte_ptr(pr.scales, gi, p.scale_dtype), p.scale_dtype, groups,
                              s);
  if (pr.biases) {
    cpu::quant::scales_to_float(p.f, byte_ptr(pr.biases, gi, p.dtype), p.dtype, groups, b);
  }
}

// ------------------------------------------------------------------- GEMV

// x of every product as float32 in the GEMV kernel's layout, and its group sums.
struct PreparedX {
  std::vector<float> x;     // [P][M][K]
  std::vector<float> xsum;  // [P][M][G]
};

PreparedX prepare_x(const Problem& p, const std::vector<Product>& prods, int unit) {
  PreparedX px;
  const int64_t mk = p.M * p.K;
  const int64_t G = p.G();
  px.x.resize(prods.size() * mk);
  px.xsum.resize(prods.size() * p.M * G);
  std::vector<float> tmp(unit > 0 ? mk : 0);
  for (size_t i = 0; i < prods.size(); ++i) {
    float* x = px.x.data() + i * mk;
    float* natural = unit > 0 ? tmp.data() : x;
    cpu::quant::to_float_values(prods[i].x, p.dtype, mk, natural);
    for (int64_t r = 0; r < p.M * G; ++r) {
      float s = 0.0f;
      for (int j = 0; j < p.f.group_size; ++j) {
        s += natural[r * p.f.group_size + j];
      }
      px.xsum[i * p.M * G + r] = s;
    }
    for (int64_t b = 0; unit > 0 && b < mk; b += unit) {
      for (int j = 0; j < unit / 2; ++j) {
        x[b + j] = natural[b + 2 * j];
        x[b + unit / 2 + j] = natural[b + 2 * j + 1];
      }
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

// Rows [n0, n1) of one product, transposed layout, in tiles of up to 64 rows.
void gemv_t_rows(const Problem& p, const Product& pr, const float* x, const float* xsum, int64_t n0,
                 int64_t n1, Kernel kernel) {
  constexpr int64_t kTile = 64;
  const int64_t G = p.G();
  std::vector<float> sf(kTile * G), bf(pr.biases ? kTile * G : 0), res(kTile * p.M);
  for (int64_t s0 = n0; s0 < n1; s0 += kTile) {
    const int64_t rows = std::min(kTile, n1 - s0);
    load_groups(p, pr, s0 * G, rows * G, sf.data(), bf.data());
    GemvTile t{pr.w + s0 * p.row_bytes,
               p.row_bytes,
               rows,
               x,
               pr.biases ? xsum : nullptr,
               sf.data(),
               pr.biases ? bf.data() : nullptr,
               res.data(),
               int(p.M),
               int(p.K),
               int(G),
               p.f.group_size,
               p.f.bits};
    const bool isa = cpu::quant::isa_supports(p.f);
    if (isa && kernel == Kernel::avx512) {
      cpu::quant::gemv_t_avx512(t);
    } else if (isa && kernel == Kernel::avx2) {
      cpu::quant::gemv_t_avx2(t);
    } else {
      gemv_t_generic(t, p.f);
    }
    for (int64_t m = 0; m < p.M; ++m) {
      char* o = static_cast<char*>(pr.out) + (m * p.N + s0) * size_of(p.dtype);
      std::vector<float> col(rows);
      for (int64_t r = 0; r < rows; ++r) {
        col[r] = res[r * p.M + m];
      }
      store_floats(col.data(), p.dtype, o, rows, 1);
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

void run_gemv(const Problem& p, const std::vector<Product>& prods, Kernel kernel) {
  const bool isa = p.transpose && cpu::quant::isa_supports(p.f) &&
                   (kernel == Kernel::avx512 || kernel == Kernel::avx2);
  const PreparedX px = prepare_x(p, prods, isa ? cpu::quant::x_layout_unit(kernel, p.f.bits) : 0);
  // Units of work: 4 rows (transposed) or 256 columns; chunks of at least ~64 KiB of W.
  const int64_t unit = p.transpose ? 4 : 256;
  const int64_t per = (p.N + unit - 1) / unit;
  const int64_t unit_bytes = p.transpose ? unit * p.row_bytes : p.K * unit * p.f.bits / 8;
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(unit_bytes, 1));
  cpu::parallel_for(int64_t(prods.size()) * per, grain, [&](int64_t b, int64_t e) {
    while (b < e) {
      const int64_t i = b / per;
      const int64_t u1 = std::min(e - i * per, per);  // this product's units in the chunk
      const int64_t lo = (b - i * per) * unit;
      const int64_t hi = std::min(p.N, u1 * unit);
      const float* x = px.x.data() + i * p.M * p.K;
      const float* xs = px.xsum.data() + i * p.M * p.G();
      if (p.transpose) {
        gemv_t_rows(p, prods[i], x, xs, lo, hi, kernel);
      } else {
        for (int64_t c = lo; c < hi; c += unit) {
          gemv_n_cols(p, prods[i], x, c, std::min(hi, c + unit), kernel);
        }
      }
      b = i * per + u1;
    }
  });
}

// ------------------------------------------------------------------- GEMM

// One product with many activation rows: W dequantized to float32 in chunks of output
// columns (at most ~8 MiB each, every thread filling rows of the chunk), then cpu::gemm.
void gemm_product(const Problem& p, const Product& pr, Kernel kernel) {
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
    p.M = static_cast<int64_t>(o.x.size()) / p.K;
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
  std::vector<Product> prods;
  const int64_t mn = p.M * p.N * size_of(p.dtype);
  for (size_t i = 0; i < lhs.size(); ++i) {
    prods.push_back(
        product_at(p, o, xo[lhs[i]], wo[rhs[i]], so[rhs[i]], out.data<char>() + i * mn));
  }
  run_products(p, prods);
}

}  // namespace mlxcpp
