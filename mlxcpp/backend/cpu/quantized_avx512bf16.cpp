// AVX-512 BF16 GEMV of the quantized matmul (affine, 4 bits); see quantized.h.
//
// Why: the float loop of quantized_avx512.cpp spends ~5 decode instructions (zero-extend,
// mask, shift, two int->float converts) per 32 codes beside its 2 FMAs, so it is bound by
// the ALU well below the memory bandwidth. Here 4-bit codes become bfloat16 values with a
// table lookup (vpermw: the code is the index, every integer 0..15 is exact in bfloat16)
// and vdpbf16ps multiplies 32 of them per instruction, so 128 codes of a row cost 3 shifts
// and 4 lookups, and 4 dot products per activation part (a 4096 x 4096 GEMV with float16
// activations on one Zen 5 core: ~370 us against ~400 us for the float loop with the same
// surrounding code, and ~720 us before either).
//
// Exactness: the activation is split once per call into bfloat16 parts whose sum is the
// float value exactly (bfloat16: 1 part, float16: 2, float32: 3; each part keeps the top
// 8 significant bits of what the previous ones left). A product of a code (4 bits) and a
// part (8 bits) is exact in float32, so every term is exact and only the float32
// accumulation rounds, as in the float kernels. vdpbf16ps flushes denormal inputs and
// results, which only touches parts below 2^-126 (values below ~1e-33 for float32).
//
// Layout: a row of W is read in chunks of 128 codes (64 bytes = 32 words of 4 codes).
// Nibble j of word w is code 4w + j; lookup j yields those 32 codes as bfloat16 words,
// and the activation part is stored permuted the same way (see prepare_x_bf16). Float
// lane i of a dot product sums codes 8i .. 8i + 7, so lanes 0-7 are the chunk's first 64
// codes and lanes 8-15 the last 64: with group sizes 32, 64 and 128 each lane belongs to
// one group, and a per-lane scale vector applies the scales after each chunk.
#include "mlxcpp/backend/cpu/quantized.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <stdexcept>
#include "mlxcpp/backend/cpu/isa_target.h"

namespace mlxcpp::cpu::quant {

namespace {

constexpr int kChunk = 128;  // codes per 64-byte load

MLXCPP_AVX512BF16 inline __m512bh as_bh(__m512i v) {
  return (__m512bh)v;
}

// bfloat16 bits of the codes 0..15, twice: vpermw on 512 bits indexes with 5 bits, and the
// fifth is the lowest bit of the next code.
MLXCPP_AVX512BF16 inline __m512i code_table() {
  alignas(64) uint16_t t[32];
  for (int i = 0; i < 32; ++i) {
    const float v = static_cast<float>(i & 15);
    uint32_t b;
    std::memcpy(&b, &v, sizeof(b));
    t[i] = static_cast<uint16_t>(b >> 16);
  }
  return _mm512_load_si512(t);
}

// Lane l of a chunk's scale vector takes group l / (16 / groups per chunk): a permutation
// index per group size.
MLXCPP_AVX512BF16 inline __m512i scale_index(int group_size) {
  const int shift = group_size == 32 ? 2 : group_size == 64 ? 3 : 4;
  return _mm512_srli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           shift);
}

// What every row of a chunk shares.
template <int NR>
struct ChunkArgs {
  const uint8_t* const* w;
  const float* const* sf;     // float scales (GPC = 0)
  const uint16_t* const* sh;  // 16-bit scales read in place (GPC > 0)
  int64_t c;
  int gpc;
  __mmask32 wmask;  // short (last) chunk only
  __mmask16 smask;  // short (last) chunk only
  int64_t ahead;
  int64_t row_bytes;
};

// The scale vector of chunk a.c of row R: lane l holds the scale of the group that lane's
// codes belong to. GPC = 0: float scales (4 read, sf has room past its end); GPC > 0:
// 16-bit scales read in place, exactly the chunk's GPC of them: bfloat16 widened by placing
// each in the high half of a lane (sidx then holds the group in those halves), float16
// (F16) converted and spread by the plain lane index.
template <int GPC, bool F16, bool SHORT, int NR, int R>
MLXCPP_AVX512BF16 __attribute__((always_inline)) inline __m512 chunk_scales(const ChunkArgs<NR>& a,
                                                                            __m512i sidx) {
  if constexpr (GPC == 0) {
    const float* sp = a.sf[R] + a.c * a.gpc;
    return _mm512_permutexvar_ps(sidx, SHORT ? _mm512_maskz_loadu_ps(a.smask, sp)
                                             : _mm512_castps128_ps512(_mm_loadu_ps(sp)));
  } else {
    const uint16_t* sp = a.sh[R] + a.c * GPC;
    __m128i raw;
    if constexpr (SHORT) {
      raw = _mm_maskz_loadu_epi16(__mmask8(a.smask), sp);
    } else if constexpr (GPC == 1) {
      raw = _mm_cvtsi32_si128(*sp);
    } else if constexpr (GPC == 2) {
      uint32_t v;
      std::memcpy(&v, sp, sizeof(v));
      raw = _mm_cvtsi32_si128(int(v));
    } else {
      raw = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(sp));
    }
    if constexpr (F16) {
      return _mm512_permutexvar_ps(sidx, _mm512_castps128_ps512(_mm_cvtph_ps(raw)));
    }
    return _mm512_castsi512_ps(
        _mm512_maskz_permutexvar_epi16(0xaaaaaaaau, sidx, _mm512_castsi128_si512(raw)));
  }
}

// Row R of a chunk, then rows R + 1 .. NR - 1. Recursion rather than a loop: every index
// into tot is a constant before GCC's scalar replacement of aggregates runs, so the
// accumulators stay in registers (a loop left them on the stack, stored every chunk).
template <int PARTS, int NR, int MT, int GPC, bool F16, bool SHORT, int R>
MLXCPP_AVX512BF16 __attribute__((always_inline)) inline void chunk_rows(
    const ChunkArgs<NR>& a, __m512i table, __m512i sidx, const __m512bh (&xv)[MT][PARTS][4],
    __m512 (&tot)[NR][MT]) {
  const uint8_t* src = a.w[R] + a.c * (kChunk / 2);
  if (a.ahead > 0) {
    // The NR rows are one contiguous block: fetch the block `ahead` rows on in address
    // order, one line per row and chunk, not the same chunk of NR separate rows. The
    // row-wise order measured 2-18 % slower from DRAM (M = 2..4, 1024 to 4096 columns).
    _mm_prefetch(
        reinterpret_cast<const char*>(a.w[0] + a.ahead * a.row_bytes + (a.c * NR + R) * 64),
        _MM_HINT_T0);
  }
  // Masked loads only where the chunk is short: on Zen 5 they cost ~15 % of the loop.
  __m512i q = SHORT ? _mm512_maskz_loadu_epi16(a.wmask, src) : _mm512_loadu_si512(src);
  // One load of the codes: GCC otherwise folds the load into each shift, and three loads
  // per chunk where one does measured ~15 % slower from L2 (loads bound this loop).
  asm("" : "+v"(q));
  const __m512bh n0 = as_bh(_mm512_permutexvar_epi16(q, table));
  const __m512bh n1 = as_bh(_mm512_permutexvar_epi16(_mm512_srli_epi16(q, 4), table));
  const __m512bh n2 = as_bh(_mm512_permutexvar_epi16(_mm512_srli_epi16(q, 8), table));
  const __m512bh n3 = as_bh(_mm512_permutexvar_epi16(_mm512_srli_epi16(q, 12), table));
  const __m512 s = chunk_scales<GPC, F16, SHORT, NR, R>(a, sidx);
#pragma GCC unroll 4
  for (int m = 0; m < MT; ++m) {
    // Two independent chains per row halve the dot-product latency on the critical path.
    __m512 d0 = _mm512_setzero_ps(), d1 = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int p = 0; p < PARTS; ++p) {
      d0 = _mm512_dpbf16_ps(d0, n0, xv[m][p][0]);
      d1 = _mm512_dpbf16_ps(d1, n1, xv[m][p][1]);
      d0 = _mm512_dpbf16_ps(d0, n2, xv[m][p][2]);
      d1 = _mm512_dpbf16_ps(d1, n3, xv[m][p][3]);
    }
    tot[R][m] = _mm512_fmadd_ps(_mm512_add_ps(d0, d1), s, tot[R][m]);
  }
  if constexpr (R + 1 < NR) {
    chunk_rows<PARTS, NR, MT, GPC, F16, SHORT, R + 1>(a, table, sidx, xv, tot);
  }
}

// Adds the biases' share to rows R .. NR - 1 and stores their results (recursion, as
// chunk_rows, so tot is only ever indexed by constants).
template <int NR, int MT, bool F16, int R>
MLXCPP_AVX512BF16 __attribute__((always_inline)) inline void finish_rows(
    const GemvTile& t, int64_t r0, int m0, const __m512 (&tot)[NR][MT]) {
#pragma GCC unroll 4
  for (int m = 0; m < MT; ++m) {
    __m512 acc = tot[R][m];
    // sum_g bias_g * sum(x over group g), the biases' share of the dot product; biases as
    // floats (bf) or 16-bit values read in place (bh), at most one of them.
    const float* xs = t.xsum + int64_t(m0 + m) * t.G;
    const int64_t row = (r0 + R) * t.G;
    for (int g = 0; (t.bf != nullptr || t.bh != nullptr) && g < t.G; g += 16) {
      const int gl = t.G - g;
      const __mmask16 gm = gl >= 16 ? __mmask16(0xffff) : __mmask16((1u << gl) - 1);
      __m512 b;
      if (t.bf != nullptr) {
        b = _mm512_maskz_loadu_ps(gm, t.bf + row + g);
      } else {
        const __m256i raw = _mm256_maskz_loadu_epi16(gm, t.bh + row + g);
        b = F16 ? _mm512_cvtph_ps(raw)
                : _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
      }
      acc = _mm512_fmadd_ps(b, _mm512_maskz_loadu_ps(gm, xs + g), acc);
    }
    t.res[(r0 + R) * t.M + m0 + m] = _mm512_reduce_add_ps(acc);
  }
  if constexpr (R + 1 < NR) {
    finish_rows<NR, MT, F16, R + 1>(t, r0, m0, tot);
  }
}

// Chunk a.c of rows 0 .. NR - 1 against activation rows m0 .. m0 + MT.
template <int PARTS, int NR, int MT, int GPC, bool F16, bool SHORT>
MLXCPP_AVX512BF16 __attribute__((always_inline)) inline void chunk(const GemvTile& t, int m0,
                                                                   const ChunkArgs<NR>& a,
                                                                   __m512i table, __m512i sidx,
                                                                   __m512 (&tot)[NR][MT]) {
  __m512bh xv[MT][PARTS][4];
#pragma GCC unroll 4
  for (int m = 0; m < MT; ++m) {
#pragma GCC unroll 4
    for (int p = 0; p < PARTS; ++p) {
      const uint16_t* xp = t.xb + (int64_t(m0 + m) * PARTS + p) * t.kpad + a.c * kChunk;
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        xv[m][p][j] = as_bh(_mm512_loadu_si512(xp + 32 * j));
      }
    }
  }
  chunk_rows<PARTS, NR, MT, GPC, F16, SHORT, 0>(a, table, sidx, xv, tot);
}

// Rows r0 .. r0 + NR of the tile against activation rows m0 .. m0 + MT.
template <int PARTS, int NR, int MT, int GPC, bool F16>
MLXCPP_AVX512BF16 __attribute__((always_inline)) inline void block_rows(
    const GemvTile& t, int64_t r0, int m0, int64_t chunks, int gpc, __m512i table, __m512i sidx) {
  const uint8_t* w[NR];
  const float* sf[NR];
  const uint16_t* sh[NR];
  for (int r = 0; r < NR; ++r) {
    w[r] = t.w + (r0 + r) * t.row_bytes;
    sf[r] = GPC == 0 ? t.sf + (r0 + r) * t.G : nullptr;
    sh[r] = GPC == 0 ? nullptr : t.sh + (r0 + r) * t.G;
  }
  // Rows this far ahead are fetched into the cache while these rows are computed; the
  // hardware prefetchers alone reach about half the bandwidth.
  const int64_t ahead = t.rows - r0 - NR + t.rows_after >= t.prefetch_rows ? t.prefetch_rows : 0;
  if constexpr (GPC > 0) {
    // Scales and biases read in place come from DRAM row by row too: ask for those of the
    // rows `ahead` with their codes. (Asking for a whole tile's at once is a burst of
    // prefetches that stalls on full miss queues: 11008 x 4096 from DRAM went from 52-56 to
    // 64-68 GB/s with this, when the machine had the bandwidth.)
    for (int r = 0; ahead > 0 && r < NR; ++r) {
      const char* sp = reinterpret_cast<const char*>(sh[r] + ahead * t.G);
      const char* bp = reinterpret_cast<const char*>(t.bh + (r0 + r + ahead) * t.G);
      for (int64_t b = 0; b < int64_t(t.G) * int64_t(sizeof(uint16_t)); b += 64) {
        _mm_prefetch(sp + b, _MM_HINT_T0);
        _mm_prefetch(bp + b, _MM_HINT_T0);
      }
    }
  }
  __m512 tot[NR][MT] = {};
  const int64_t full = int64_t(t.K) / kChunk;
  for (int64_t c = 0; c < full; ++c) {
    chunk<PARTS, NR, MT, GPC, F16, false>(
        t, m0, ChunkArgs<NR>{w, sf, sh, c, gpc, 0, 0, ahead, t.row_bytes}, table, sidx, tot);
  }
  if (full < chunks) {
    // Words (4 codes each) and groups of the short last chunk that exist.
    const int64_t left = int64_t(t.K) - full * kChunk;
    const __mmask32 wmask = __mmask32((1ull << (left / 4)) - 1);
    const __mmask16 smask = __mmask16((1u << (left / t.group_size)) - 1);
    chunk<PARTS, NR, MT, GPC, F16, true>(
        t, m0, ChunkArgs<NR>{w, sf, sh, full, gpc, wmask, smask, ahead, t.row_bytes}, table, sidx,
        tot);
  }
  finish_rows<NR, MT, F16, 0>(t, r0, m0, tot);
}

// Rows r0 .. r0 + NR of the tile against activation rows m0 .. m0 + MT, PARTS bfloat16
// parts per activation value, then the next `blocks` - 1 blocks of NR rows; GPC and F16:
// see chunk_scales.
template <int PARTS, int NR, int MT, int GPC, bool F16>
MLXCPP_AVX512BF16 void rows_kernel(const GemvTile& t, int64_t first, int m0, int64_t blocks) {
  const int64_t chunks = (int64_t(t.K) + kChunk - 1) / kChunk;
  const int gpc = kChunk / t.group_size;  // groups per chunk
  const __m512i table = code_table();
  const __m512i sidx = GPC == 0 || F16 ? scale_index(t.group_size)
                                       : _mm512_slli_epi32(scale_index(t.group_size), 16);
  for (int64_t r0 = first; r0 < first + blocks * NR; r0 += NR) {
    block_rows<PARTS, NR, MT, GPC, F16>(t, r0, m0, chunks, gpc, table, sidx);
  }
}

// All activation rows for rows r0 .. r0 + NR (NR is 4 or 1).
template <int PARTS, int NR, int GPC, bool F16>
MLXCPP_AVX512BF16 void rows_all_m(const GemvTile& t, int64_t r0) {
  int m = 0;
  while (m < t.M) {
    if (t.M - m >= 2) {
      for (int r = 0; r < NR; r += 2) {
        if (NR - r >= 2) {
          rows_kernel<PARTS, 2, 2, GPC, F16>(t, r0 + r, m, 1);
        } else {
          rows_kernel<PARTS, 1, 2, GPC, F16>(t, r0 + r, m, 1);
        }
      }
      m += 2;
    } else {
      rows_kernel<PARTS, NR, 1, GPC, F16>(t, r0, m, 1);
      m += 1;
    }
  }
}

template <int PARTS, int GPC, bool F16 = false>
MLXCPP_AVX512BF16 void gemv_parts(const GemvTile& t) {
  if (PARTS == 1 && t.M == 1 && t.K >= kSequentialRowsMinK) {
    // One row at a time, so W is read as one sequential stream. Four rows at a time share
    // each activation load and compute 15-25 % faster from L2, and win where rows are short
    // (1024 codes: 8 % more tokens/s for Qwen3-0.6B on 1 thread). From DRAM, the single
    // stream decoded Llama-1B 4-bit 1-7 % faster on 2 threads, equal on 1 (per-token
    // A/B). With 2 or 3 parts a row costs twice or three times the activation loads and
    // dot products, and one row at a time halved the rate (float16 x).
    return rows_kernel<PARTS, 1, 1, GPC, F16>(t, 0, 0, t.rows);
  }
  int64_t r = 0;
  for (; r + 4 <= t.rows; r += 4) {
    rows_all_m<PARTS, 4, GPC, F16>(t, r);
  }
  for (; r < t.rows; ++r) {
    rows_all_m<PARTS, 1, GPC, F16>(t, r);
  }
}

// One part of 16 values: the bfloat16 bits of their top 8 significant bits (truncation
// keeps v - part exact) as 16-bit words, and v left as what that part did not take. An
// infinite or NaN value is all in its first part (inf - inf would add a NaN part).
MLXCPP_AVX512BF16 inline __m256i take_part(__m512& v) {
  const __m512i bits = _mm512_castps_si512(v);
  const __m512i top = _mm512_and_si512(bits, _mm512_set1_epi32(int(0xffff0000u)));
  const __m512i exp_all = _mm512_set1_epi32(0x7f800000);
  const __mmask16 finite = _mm512_cmpneq_epi32_mask(_mm512_and_si512(bits, exp_all), exp_all);
  v = _mm512_maskz_sub_ps(finite, v, _mm512_castsi512_ps(top));
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(top, 16));
}

}  // namespace

// Per 128-value chunk: 8 vectors of 16 values become one part's 4 vectors of 32 words
// (w16[a] holds values 32a .. 32a + 31); out word 32 j + w is value 4 w + j, which one
// two-source word permutation gathers for w < 16 from values 0..63 and the same
// permutation for w >= 16 from values 64..127.
MLXCPP_AVX512BF16 void prepare_x_bf16(const float* x, int64_t K, int parts, int64_t kpad,
                                      uint16_t* out) {
  alignas(64) uint16_t idx[4][32];
  for (int j = 0; j < 4; ++j) {
    for (int w = 0; w < 32; ++w) {
      idx[j][w] = uint16_t(4 * (w % 16) + j);
    }
  }
  for (int64_t c = 0; c < kpad; c += kChunk) {
    __m512 v[8];
    for (int i = 0; i < 8; ++i) {
      const int64_t left = K - c - 16 * i;
      const __mmask16 m = left >= 16  ? __mmask16(0xffff)
                          : left <= 0 ? __mmask16(0)
                                      : __mmask16((1u << left) - 1);
      v[i] = _mm512_maskz_loadu_ps(m, x + c + 16 * i);
    }
    for (int p = 0; p < parts; ++p) {
      __m512i w16[4];
      for (int a = 0; a < 4; ++a) {
        const __m256i lo = take_part(v[2 * a]);
        const __m256i hi = take_part(v[2 * a + 1]);
        w16[a] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
      }
      uint16_t* o = out + p * kpad + c;
      for (int j = 0; j < 4; ++j) {
        const __m512i ij = _mm512_load_si512(idx[j]);
        const __m512i first = _mm512_permutex2var_epi16(w16[0], ij, w16[1]);
        const __m512i second = _mm512_permutex2var_epi16(w16[2], ij, w16[3]);
        _mm512_storeu_si512(o + 32 * j, _mm512_mask_blend_epi16(0xffff0000u, first, second));
      }
    }
  }
}

int64_t bf16_padded_k(int64_t K) {
  return (K + kChunk - 1) / kChunk * kChunk;
}

namespace {

// 16-bit scales in place: the loop for the group size (groups per chunk, a template
// parameter of chunk_scales).
template <int PARTS, bool F16>
MLXCPP_AVX512BF16 void gemv_in_place(const GemvTile& t) {
  switch (kChunk / t.group_size) {
    case 1:
      return gemv_parts<PARTS, 1, F16>(t);
    case 2:
      return gemv_parts<PARTS, 2, F16>(t);
    default:
      return gemv_parts<PARTS, 4, F16>(t);
  }
}

}  // namespace

void gemv_t_avx512bf16(const GemvTile& t) {
  if (t.sh != nullptr) {
    // bfloat16 scales with bfloat16 x (1 part), float16 scales with float16 x (2 parts).
    if (t.parts == 1 && !t.scales_f16) {
      return gemv_in_place<1, false>(t);
    }
    if (t.parts == 2 && t.scales_f16) {
      return gemv_in_place<2, true>(t);
    }
    throw std::logic_error(
        "[quantized_matmul] 16-bit scales in place need x of the same type (bfloat16 or "
        "float16).");
  }
  switch (t.parts) {
    case 1:
      return gemv_parts<1, 0>(t);
    case 2:
      return gemv_parts<2, 0>(t);
    default:
      return gemv_parts<3, 0>(t);
  }
}

bool cpu_has_avx512bf16() {
  __builtin_cpu_init();
  return cpu_has_avx512() && __builtin_cpu_supports("avx512bf16");
}

}  // namespace mlxcpp::cpu::quant

#else  // not x86-64: the ISA loops do not exist

#include <stdexcept>

namespace mlxcpp::cpu::quant {

void prepare_x_bf16(const float*, int64_t, int, int64_t, uint16_t*) {
  throw std::logic_error("[quantized_matmul] AVX-512 BF16 kernels are not built on this platform.");
}
int64_t bf16_padded_k(int64_t K) {
  return K;
}
void gemv_t_avx512bf16(const GemvTile&) {
  throw std::logic_error("[quantized_matmul] AVX-512 BF16 kernels are not built on this platform.");
}
bool cpu_has_avx512bf16() {
  return false;
}

}  // namespace mlxcpp::cpu::quant

#endif
