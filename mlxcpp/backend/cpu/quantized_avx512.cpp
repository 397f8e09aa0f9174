// AVX-512 inner loops of the quantized matmul (affine, 4 and 8 bits); see quantized.h.
//
// GEMV (transposed W, [N, K] packed along K): every 32-element block of a row
// decodes to two float vectors (4 bits: the even elements, then the odd ones;
// 8 bits: elements 0-15, then 16-31), which multiply the activation laid out
// the same way (the caller permutes x once per call). Per group the dot
// product is scaled into a running total; the biases enter at the end as
// sum_g bias_g * sum(x over group g). Several rows and activation rows run
// together so that the FMA chains are independent.
#include "mlxcpp/backend/cpu/quantized.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include "mlxcpp/backend/cpu/isa_target.h"

namespace mlxcpp::cpu::quant {

namespace {

template <int BITS>
MLXCPP_AVX512 inline void decode_block(const uint8_t* p, __m512& lo, __m512& hi) {
  if constexpr (BITS == 4) {
    const __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    lo = _mm512_cvtepi32_ps(_mm512_and_si512(v, _mm512_set1_epi32(15)));
    hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(v, 4));
  } else {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    lo = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(a));
    hi = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b));
  }
}

// Adds sum_g bf[g] * xs[g] to acc and returns the horizontal sum.
MLXCPP_AVX512 inline float finish(__m512 acc, const float* bf, const float* xs, int G) {
  if (bf != nullptr) {
    for (int g = 0; g < G; g += 16) {
      const int left = G - g;
      const __mmask16 m = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
      acc =
          _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, bf + g), _mm512_maskz_loadu_ps(m, xs + g), acc);
    }
  }
  return _mm512_reduce_add_ps(acc);
}

// Rows r0 .. r0 + NR of the tile against activation rows m0 .. m0 + MT.
template <int BITS, int NR, int MT>
MLXCPP_AVX512 void rows_kernel(const GemvTile& t, int64_t r0, int m0) {
  constexpr int kBlockBytes = 4 * BITS;
  const int bpg = t.group_size / 32;
  const int G = t.G;
  const uint8_t* w[NR];
  for (int r = 0; r < NR; ++r) {
    w[r] = t.w + (r0 + r) * t.row_bytes;
  }
  const float* x[MT];
  for (int m = 0; m < MT; ++m) {
    x[m] = t.x + int64_t(m0 + m) * t.K;
  }
  __m512 tot[NR][MT];
#pragma GCC unroll 4
  for (int r = 0; r < NR; ++r) {
#pragma GCC unroll 4
    for (int m = 0; m < MT; ++m) {
      tot[r][m] = _mm512_setzero_ps();
    }
  }
  // Rows this far ahead are fetched into the cache while these rows are computed; the
  // hardware prefetchers alone reach about half the bandwidth. The NR rows are one
  // contiguous block, fetched in address order (a group's share of it per row and group):
  // 3-6 % faster from DRAM than the same group of NR separate rows.
  const int64_t ahead = t.rows - r0 - NR + t.rows_after >= t.prefetch_rows ? t.prefetch_rows : 0;
  const int64_t group_bytes = int64_t(bpg) * kBlockBytes;
  for (int g = 0; g < G; ++g) {
    for (int r = 0; ahead > 0 && r < NR; ++r) {
      const uint8_t* p = w[0] + ahead * t.row_bytes + (int64_t(g) * NR + r) * group_bytes;
      for (int64_t o = 0; o < group_bytes; o += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(p + o), _MM_HINT_T0);
      }
    }
    __m512 alo[NR][MT], ahi[NR][MT];
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
#pragma GCC unroll 4
      for (int m = 0; m < MT; ++m) {
        alo[r][m] = _mm512_setzero_ps();
        ahi[r][m] = _mm512_setzero_ps();
      }
    }
    for (int b = 0; b < bpg; ++b) {
      const int64_t blk = int64_t(g) * bpg + b;
      __m512 xl[MT], xh[MT];
#pragma GCC unroll 4
      for (int m = 0; m < MT; ++m) {
        xl[m] = _mm512_loadu_ps(x[m] + blk * 32);
        xh[m] = _mm512_loadu_ps(x[m] + blk * 32 + 16);
      }
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        __m512 lo, hi;
        decode_block<BITS>(w[r] + blk * kBlockBytes, lo, hi);
#pragma GCC unroll 4
        for (int m = 0; m < MT; ++m) {
          alo[r][m] = _mm512_fmadd_ps(lo, xl[m], alo[r][m]);
          ahi[r][m] = _mm512_fmadd_ps(hi, xh[m], ahi[r][m]);
        }
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const __m512 s = _mm512_set1_ps(t.sf[(r0 + r) * G + g]);
#pragma GCC unroll 4
      for (int m = 0; m < MT; ++m) {
        tot[r][m] = _mm512_fmadd_ps(_mm512_add_ps(alo[r][m], ahi[r][m]), s, tot[r][m]);
      }
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int m = 0; m < MT; ++m) {
      const float* bf = t.bf ? t.bf + (r0 + r) * G : nullptr;
      const float* xs = t.xsum ? t.xsum + int64_t(m0 + m) * G : nullptr;
      t.res[(r0 + r) * t.M + m0 + m] = finish(tot[r][m], bf, xs, G);
    }
  }
}

// All activation rows for rows r0 .. r0 + NR (NR is 4 or 1).
template <int BITS, int NR>
MLXCPP_AVX512 void rows_all_m(const GemvTile& t, int64_t r0) {
  int m = 0;
  while (m < t.M) {
    const int left = t.M - m;
    if (left >= 4) {
      for (int r = 0; r < NR; ++r) {
        rows_kernel<BITS, 1, 4>(t, r0 + r, m);
      }
      m += 4;
    } else if (left >= 2) {
      if constexpr (NR == 4) {
        rows_kernel<BITS, 2, 2>(t, r0, m);
        rows_kernel<BITS, 2, 2>(t, r0 + 2, m);
      } else {
        rows_kernel<BITS, 1, 2>(t, r0, m);
      }
      m += 2;
    } else {
      rows_kernel<BITS, NR, 1>(t, r0, m);
      m += 1;
    }
  }
}

template <int BITS>
MLXCPP_AVX512 void gemv_t_bits(const GemvTile& t) {
  int64_t r = 0;
  // One activation row and long rows: all rows one at a time (the loop below), so W is
  // read as one sequential stream. From DRAM on 2 threads 8 % faster than four interleaved
  // rows for 8 bits at 4096 x 4096, and equal on 1 thread; in decoding (Qwen3-0.6B,
  // Llama-1B 8-bit) 0-3 %.
  const bool sequential = t.M == 1 && t.K >= kSequentialRowsMinK;
  for (; !sequential && r + 4 <= t.rows; r += 4) {
    rows_all_m<BITS, 4>(t, r);
  }
  for (; r < t.rows; ++r) {
    rows_all_m<BITS, 1>(t, r);
  }
}

// 32 codes of a 4-bit row in natural order, as two float vectors.
MLXCPP_AVX512 inline void decode_natural4(const uint8_t* p, __m512& a, __m512& b) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i mask = _mm_set1_epi8(15);
  const __m128i lo = _mm_and_si128(v, mask);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
  a = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpacklo_epi8(lo, hi)));
  b = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpackhi_epi8(lo, hi)));
}

}  // namespace

void gemv_t_avx512(const GemvTile& t) {
  if (t.bits == 4) {
    gemv_t_bits<4>(t);
  } else {
    gemv_t_bits<8>(t);
  }
}

MLXCPP_AVX512 void dequant_affine_avx512(int bits, const uint8_t* w, const float* s, const float* b,
                                         int64_t count, int group_size, float* out) {
  const int64_t groups = count / group_size;
  const int bpg = group_size / 32;
  for (int64_t g = 0; g < groups; ++g) {
    const __m512 sv = _mm512_set1_ps(s[g]);
    const __m512 bv = _mm512_set1_ps(b[g]);
    for (int k = 0; k < bpg; ++k) {
      const int64_t blk = g * bpg + k;
      __m512 q0, q1;
      if (bits == 4) {
        decode_natural4(w + blk * 16, q0, q1);
      } else {
        decode_block<8>(w + blk * 32, q0, q1);
      }
      _mm512_storeu_ps(out + blk * 32, _mm512_fmadd_ps(q0, sv, bv));
      _mm512_storeu_ps(out + blk * 32 + 16, _mm512_fmadd_ps(q1, sv, bv));
    }
  }
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("fma");
}

}  // namespace mlxcpp::cpu::quant

#else  // not x86-64: the ISA loops do not exist

#include <stdexcept>

namespace mlxcpp::cpu::quant {

void gemv_t_avx512(const GemvTile&) {
  throw std::logic_error("[quantized_matmul] AVX-512 kernels are not built on this platform.");
}
void dequant_affine_avx512(int, const uint8_t*, const float*, const float*, int64_t, int, float*) {
  throw std::logic_error("[quantized_matmul] AVX-512 kernels are not built on this platform.");
}
bool cpu_has_avx512() {
  return false;
}

}  // namespace mlxcpp::cpu::quant

#endif
