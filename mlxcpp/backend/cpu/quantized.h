// Internal interface of the quantization kernels: the formats (MLX's packing,
// e4m3 / e8m0 / fp4 codes), the kernel selection (MLXCPP_QMM_KERNEL) and the
// ISA-specific GEMV and dequantization entry points.
//
//   quantize.cpp            Quantize, Dequantize and ConvertFP8 (bit-exact with MLX)
//   quantized_matmul.cpp    QuantizedMatmul and GatherQMM: batching, the scalar
//                           reference, the portable kernels, GEMV and GEMM paths
//   quantized_avx2.cpp      AVX2 + FMA inner loops (4- and 8-bit affine)
//   quantized_avx512.cpp    AVX-512 inner loops (4- and 8-bit affine)
//   quantized_avx512bf16.cpp  AVX-512 BF16 GEMV (4-bit affine; 8 bits use the AVX-512 loop)
//   quantized_gemm_avx512bf16.cpp  AVX-512 BF16 GEMM for bfloat16 activations (4, 8 bits)
//
// The ISA files are compiled on every x86-64 build with function target
// attributes, so a portable build (MLXCPP_NATIVE=OFF) still has them; they run
// only when the CPU reports the features (__builtin_cpu_supports).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mlxcpp/core/dtype.h"

namespace mlxcpp::cpu::quant {

/** Calls f with a value of the C++ type of float16, bfloat16 or (anything else) float. */
template <typename F>
void with_float_type(Dtype t, F&& f) {
  switch (t) {
    case Dtype::Val::float16:
      return f(float16_t{});
    case Dtype::Val::bfloat16:
      return f(bfloat16_t{});
    default:
      return f(float{});
  }
}

// ------------------------------------------------------------------ formats

/** MLX's E4M3 decode (FromFP8): no NaN, 0x7F / 0xFF decode to +-480. */
inline float e4m3_to_float(uint8_t x) {
  const uint32_t mag = x & 0x7fu;
  float v;
  if ((mag >> 3) == 0) {
    v = static_cast<float>(mag) * 0.001953125f;  // subnormal: m * 2^-9
  } else {
    const uint32_t bits = ((mag >> 3) + 120u) << 23 | (mag & 7u) << 20;
    std::memcpy(&v, &bits, sizeof(v));
  }
  return (x & 0x80u) ? -v : v;
}

/** MLX's E4M3 encode (ToFP8): round to nearest even, saturating to +-448 (inf and NaN too). */
inline uint8_t float_to_e4m3(float f) {
  uint32_t fb;
  std::memcpy(&fb, &f, sizeof(fb));
  const uint32_t sign = fb & 0x80000000u;
  fb ^= sign;
  uint8_t r;
  if (fb >= (543u << 21)) {
    r = 0x7e;
  } else if (fb < (121u << 23)) {
    // Below 2^-6: add 2^14 so the FPU rounds to the subnormal grid (2^-9).
    float a, magic;
    const uint32_t magic_bits = 141u << 23;
    std::memcpy(&a, &fb, sizeof(a));
    std::memcpy(&magic, &magic_bits, sizeof(magic));
    a += magic;
    uint32_t ab;
    std::memcpy(&ab, &a, sizeof(ab));
    r = static_cast<uint8_t>(ab - magic_bits);
  } else {
    const uint32_t mant_odd = (fb >> 20) & 1u;
    const uint32_t rounded = fb + (static_cast<uint32_t>(7 - 127) << 23) + 0x7ffffu + mant_odd;
    r = static_cast<uint8_t>(rounded >> 20);
  }
  return static_cast<uint8_t>(r | (sign >> 24));
}

/** The E8M0 scale of the mx formats as MLX's kernels read it: 2^(s - 127), and 2^-127 for 0. */
inline float e8m0_to_float(uint8_t s) {
  const uint32_t bits = s == 0 ? 0x00400000u : static_cast<uint32_t>(s) << 23;
  float v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

/** The FP4 (E2M1) values by code. */
inline constexpr float kFp4Values[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                         -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

/** What a quantized weight holds: mode 0 affine, 1 mxfp4, 2 mxfp8, 3 nvfp4 (QuantizationMode). */
struct Format {
  int mode;
  int bits;
  int group_size;
  bool affine() const { return mode == 0; }
};

/** Elements per pack and bytes per pack of MLX's bit stream (3 and 5 bits: 8 elements in
 *  3 or 5 bytes; 6 bits: 4 in 3; powers of two: 8 / bits per byte). */
inline int pack_elements(int bits) {
  return bits == 3 || bits == 5 ? 8 : bits == 6 ? 4 : 8 / bits;
}
inline int pack_bytes(int bits) {
  return bits == 3 ? 3 : bits == 5 ? 5 : bits == 6 ? 3 : 1;
}

/** Codes of `count` elements (a multiple of the pack size) of a packed row starting at a
 *  pack boundary. */
void unpack_codes(int bits, const uint8_t* w, int64_t count, uint8_t* codes);

/** n values of a float32, float16 or bfloat16 array as float32. */
void to_float_values(const void* src, Dtype dtype, int64_t n, float* out);

/** Float values of count scales (affine: float32, float16 or bfloat16; mx: e8m0 codes;
 *  nvfp4: e4m3 codes) or biases (affine dtype). */
void scales_to_float(const Format& f, const void* src, Dtype dtype, int64_t count, float* out);

// --------------------------------------------------------- kernel selection

enum class Kernel { scalar, generic, avx2, avx512, avx512bf16 };

const char* kernel_name(Kernel k);

/** The kernels this build can run on this CPU, slowest first. */
std::vector<Kernel> available_kernels();

/** The kernel in use: the override if set, else MLXCPP_QMM_KERNEL (auto, scalar, generic,
 *  avx2, avx512, avx512bf16; default auto = the best available). Throws std::invalid_argument for
 * an unknown value and Unsupported for a kernel the CPU or build cannot run. */
Kernel active_kernel();

/** Overrides MLXCPP_QMM_KERNEL (tests); nullopt returns to the environment's choice. */
void set_kernel(std::optional<Kernel> k);

// ------------------------------------------------------ ISA-specific loops

// Floats past a GEMV tile's scales that its kernels may read (whole-vector loads).
constexpr int64_t kGemvScalePad = 16;

// A GEMV with one activation row and rows of at least this many codes walks W one row at a
// time, as one sequential stream; shorter rows, or more activation rows, run several rows
// at a time, which share activation loads (see the AVX-512 kernels for the figures).
constexpr int kSequentialRowsMinK = 2048;

/** One GEMV task for the transposed layout: `rows` rows of W (row r at w + r * row_bytes),
 *  each K = G * group_size codes, against M activation rows. */
struct GemvTile {
  const uint8_t* w = nullptr;
  int64_t row_bytes = 0;
  int64_t rows = 0;
  const float* x = nullptr;     // [M][K] float32, in the kernel's layout (see x_layout_unit)
  const float* xsum = nullptr;  // [M][G] group sums of x (affine), else null
  const float* sf = nullptr;    // [rows][G] scales as float, kGemvScalePad more readable
  const float* bf = nullptr;    // [rows][G] biases as float (affine), else null
  // Or (BF16 kernel; sf and bf then null) 16-bit scales and biases read in place, [rows][G]
  // each: bfloat16 with bfloat16 x, float16 (scales_f16) with float16 x.
  const uint16_t* sh = nullptr;
  const uint16_t* bh = nullptr;
  bool scales_f16 = false;
  float* res = nullptr;  // [rows][M] results
  int M = 0;
  int K = 0;
  int G = 0;
  int group_size = 0;
  int bits = 0;
  // The BF16 kernel's activation: [M][parts][kpad] bfloat16 bits (see prepare_x_bf16).
  const uint16_t* xb = nullptr;
  int parts = 0;
  int64_t kpad = 0;
  // Rows of W (and of sh and bh) after the tile that may be read (prefetched) while it
  // runs, and how far ahead to prefetch (0: not at all).
  int64_t rows_after = 0;
  int64_t prefetch_rows = 0;
};

/** Whether the ISA loops serve this format (affine 4 and 8 bits). */
inline bool isa_supports(const Format& f) {
  return f.affine() && (f.bits == 4 || f.bits == 8);
}

/** For 4 bits the ISA GEMV reads x permuted within blocks of this many elements: the even
 *  elements first, then the odd ones (0 = natural order). */
int x_layout_unit(Kernel k, int bits);

/** res = W x for a tile (affine, 4 or 8 bits, group_size a multiple of 32). */
void gemv_t_avx2(const GemvTile& t);
void gemv_t_avx512(const GemvTile& t);

/** out[i] = q[i] * s[i / gs] + b[i / gs] for count elements (a multiple of 32) of a packed
 *  4- or 8-bit row, in natural order. */
void dequant_affine_avx2(int bits, const uint8_t* w, const float* s, const float* b, int64_t count,
                         int group_size, float* out);
void dequant_affine_avx512(int bits, const uint8_t* w, const float* s, const float* b,
                           int64_t count, int group_size, float* out);

/** res = W x for a tile (affine, 4 bits, group_size 32, 64 or 128) from xb. */
void gemv_t_avx512bf16(const GemvTile& t);

/** K rounded up to the BF16 kernel's 128-code chunks. */
int64_t bf16_padded_k(int64_t K);

/** One activation row x[K] as `parts` bfloat16 parts (1 for bfloat16 values, 2 for float16,
 *  3 for float32) that sum to x exactly, each [kpad] long, zero-padded and permuted within
 *  128-element chunks as the BF16 kernel reads them: out[p * kpad + c + 32 j + w] is part p
 *  of x[c + 4 w + j]. */
void prepare_x_bf16(const float* x, int64_t K, int parts, int64_t kpad, uint16_t* out);

/** A quantized GEMM with bfloat16 activations: affine 4- or 8-bit W [N][K] (transposed
 *  layout), group_size 32, 64 or 128; or (bits = 16) a plain bfloat16 W, K even, with one
 *  group of K whose scale is 1 and bias 0. */
struct QGemmBf16 {
  const uint16_t* x = nullptr;  // [M][K] bfloat16 bits
  int64_t M = 0, N = 0, K = 0;
  const uint8_t* w = nullptr;  // row n at w + n * row_bytes
  int64_t row_bytes = 0;
  int bits = 4;  // 4, 8, or 16 for bfloat16 values
  int group_size = 64;
  /** Writes the scales and biases of W rows [n0, n0 + rows) as float [rows][K / group_size]. */
  std::function<void(int64_t n0, int64_t rows, float* scales, float* biases)> load_groups;
  float* out = nullptr;  // [M][N] float32
};

/** out = x W^T with vdpbf16ps (exact products; see quantized_gemm_avx512bf16.cpp),
 *  multi-threaded. */
void qgemm_avx512bf16(const QGemmBf16& q);

/** Whether the CPU can run the AVX2 + FMA, the AVX-512 (F, BW, DQ, VL + FMA) or the AVX-512
 *  BF16 (those + BF16) loops. */
bool cpu_has_avx2();
bool cpu_has_avx512();
bool cpu_has_avx512bf16();

}  // namespace mlxcpp::cpu::quant
