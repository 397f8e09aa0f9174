// AVX2 + FMA inner loops of the quantized matmul (affine, 4 and 8 bits); see quantized.h.
//
// The same scheme as quantized_avx512.cpp with 8-lane vectors: a 16-element
// block decodes to two vectors (4 bits: even then odd elements; 8 bits:
// elements 0-7 then 8-15) against x laid out the same way.
#include "mlxcpp/backend/cpu/quantized.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include "mlxcpp/backend/cpu/isa_target.h"

namespace mlxcpp::cpu::quant {

namespace {

template <int BITS>
MLXCPP_AVX2 inline void decode_block(const uint8_t* p, __m256& lo, __m256& hi) {
  if constexpr (BITS == 4) {
    const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    lo = _mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(15)));
    hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(v, 4));
  } else {
    const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8));
    lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(a));
    hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
  }
}

MLXCPP_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Adds sum_g bf[g] * xs[g] to acc and returns the horizontal sum.
MLXCPP_AVX2 inline float finish(__m256 acc, const float* bf, const float* xs, int G) {
  float tail = 0.0f;
  if (bf != nullptr) {
    int g = 0;
    for (; g + 8 <= G; g += 8) {
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(bf + g), _mm256_loadu_ps(xs + g), acc);
    }
    for (; g < G; ++g) {
      tail += bf[g] * xs[g];
    }
  }
  return hsum(acc) + tail;
}

// Rows r0 .. r0 + NR of the tile against activation rows m0 .. m0 + MT.
template <int BITS, int NR, int MT>
MLXCPP_AVX2 void rows_kernel(const GemvTile& t, int64_t r0, int m0) {
  constexpr int kBlockBytes = 2 * BITS;  // 16 elements
  const int bpg = t.group_size / 16;
  const int G = t.G;
  const uint8_t* w[NR];
  for (int r = 0; r < NR; ++r) {
    w[r] = t.w + (r0 + r) * t.row_bytes;
  }
  const float* x[MT];
  for (int m = 0; m < MT; ++m) {
    x[m] = t.x + int64_t(m0 + m) * t.K;
  }
  __m256 tot[NR][MT];
#pragma GCC unroll 4
  for (int r = 0; r < NR; ++r) {
#pragma GCC unroll 4
    for (int m = 0; m < MT; ++m) {
      tot[r][m] = _mm256_setzero_ps();
    }
  }
  // Rows this far ahead are fetched into the cache while these rows are computed; the
  // hardware prefetchers lose track of NR interleaved short streams.
  const int64_t ahead = t.rows - r0 - NR + t.rows_after >= t.prefetch_rows ? t.prefetch_rows : 0;
  for (int g = 0; g < G; ++g) {
    if (ahead > 0) {
      for (int r = 0; r < NR; ++r) {
        _mm_prefetch(reinterpret_cast<const char*>(w[r] + int64_t(g) * bpg * kBlockBytes +
                                                   ahead * t.row_bytes),
                     _MM_HINT_T0);
      }
    }
    __m256 acc[NR][MT];
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
#pragma GCC unroll 4
      for (int m = 0; m < MT; ++m) {
        acc[r][m] = _mm256_setzero_ps();
      }
    }
    for (int b = 0; b < bpg; ++b) {
      const int64_t blk = int64_t(g) * bpg + b;
      __m256 xl[MT], xh[MT];
#pragma GCC unroll 4
      for (int m = 0; m < MT; ++m) {
        xl[m] = _mm256_loadu_ps(x[m] + blk * 16);
        xh[m] = _mm256_loadu_ps(x[m] + blk * 16 + 8);
      }
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        __m256 lo, hi;
        decode_block<BITS>(w[r] + blk * kBlockBytes, lo, hi);
#pragma GCC unroll 4
        for (int m = 0; m < MT; ++m) {
          acc[r][m] = _mm256_fmadd_ps(lo, xl[m], acc[r][m]);
          acc[r][m] = _mm256_fmadd_ps(hi, xh[m], acc[r][m]);
        }
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < NR; ++r) {
      const __m256 s = _mm256_set1_ps(t.sf[(r0 + r) * G + g]);
#pragma GCC unroll 4
      for (int m = 0; m < MT; ++m) {
        tot[r][m] = _mm256_fmadd_ps(acc[r][m], s, tot[r][m]);
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
MLXCPP_AVX2 void rows_all_m(const GemvTile& t, int64_t r0) {
  int m = 0;
  while (m < t.M) {
    if (t.M - m >= 2) {
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
MLXCPP_AVX2 void gemv_t_bits(const GemvTile& t) {
  int64_t r = 0;
  for (; r + 4 <= t.rows; r += 4) {
    rows_all_m<BITS, 4>(t, r);
  }
  for (; r < t.rows; ++r) {
    rows_all_m<BITS, 1>(t, r);
  }
}

// 16 codes of a 4-bit row in natural order, as two float vectors.
MLXCPP_AVX2 inline void decode_natural4(const uint8_t* p, __m256& a, __m256& b) {
  const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m128i mask = _mm_set1_epi8(15);
  const __m128i lo = _mm_and_si128(v, mask);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
  const __m128i both = _mm_unpacklo_epi8(lo, hi);
  a = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(both));
  b = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(both, 8)));
}

}  // namespace

void gemv_t_avx2(const GemvTile& t) {
  if (t.bits == 4) {
    gemv_t_bits<4>(t);
  } else {
    gemv_t_bits<8>(t);
  }
}

MLXCPP_AVX2 void dequant_affine_avx2(int bits, const uint8_t* w, const float* s, const float* b,
                                     int64_t count, int group_size, float* out) {
  const int64_t groups = count / group_size;
  const int bpg = group_size / 16;
  for (int64_t g = 0; g < groups; ++g) {
    const __m256 sv = _mm256_set1_ps(s[g]);
    const __m256 bv = _mm256_set1_ps(b[g]);
    for (int k = 0; k < bpg; ++k) {
      const int64_t blk = g * bpg + k;
      __m256 q0, q1;
      if (bits == 4) {
        decode_natural4(w + blk * 8, q0, q1);
      } else {
        decode_block<8>(w + blk * 16, q0, q1);
      }
      _mm256_storeu_ps(out + blk * 16, _mm256_fmadd_ps(q0, sv, bv));
      _mm256_storeu_ps(out + blk * 16 + 8, _mm256_fmadd_ps(q1, sv, bv));
    }
  }
}

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

}  // namespace mlxcpp::cpu::quant

#else  // not x86-64: the ISA loops do not exist

#include <stdexcept>

namespace mlxcpp::cpu::quant {

void gemv_t_avx2(const GemvTile&) {
  throw std::logic_error("[quantized_matmul] AVX2 kernels are not built on this platform.");
}
void dequant_affine_avx2(int, const uint8_t*, const float*, const float*, int64_t, int, float*) {
  throw std::logic_error("[quantized_matmul] AVX2 kernels are not built on this platform.");
}
bool cpu_has_avx2() {
  return false;
}

}  // namespace mlxcpp::cpu::quant

#endif
