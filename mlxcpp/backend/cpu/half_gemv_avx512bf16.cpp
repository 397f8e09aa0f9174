// bfloat16 x times bfloat16 W^T for a few activation rows (decoding with bfloat16 weights),
// on vdpbf16ps: see half_gemv.h.
//
// Why: the portable half_gemv converts each chunk of W to float32 through a buffer and
// multiplies it by x in float32, several loads and stores per weight load. With bfloat16
// on both sides the products are exact in float32 and vdpbf16ps takes 32 of them per
// instruction straight from the loaded registers, so the loop is one W load, a shared x
// load and a dot product per 64 bytes: the read of W is all that is left to wait for.
#include "mlxcpp/backend/cpu/half_gemv.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <algorithm>
#include <cstdint>

#include "mlxcpp/backend/cpu/isa_target.h"
#include "mlxcpp/backend/cpu/quantized.h"
#include "mlxcpp/backend/cpu/threadpool.h"

namespace mlxcpp::cpu {

namespace {

constexpr int kLoad = 32;  // bfloat16 values per 64-byte load
// W is read one row at a time, so each thread reads one sequential stream, prefetched this
// many elements (8 KiB) ahead: the hardware prefetchers alone keep too little in flight.
// Four rows sharing each x load measured slower from DRAM (BM_HalfGemv: 38-52 GB/s beside
// a read rate of 52-65, against 62-74 beside 62-65 for one row).
constexpr int64_t kAhead = 4096;

struct Problem {
  const uint16_t* w;
  int64_t ldw;
  const uint16_t* x;
  int64_t ldx;
  int64_t n;
  int64_t k;
  float* y;
};

MLXCPP_AVX512BF16 inline __m512bh as_bh(__m512i v) {
  return (__m512bh)v;
}

// The lane sums of a[0..3] in one 128-bit vector. One tree for the four: each
// _mm512_reduce_add_ps is a chain of its own, and with a head dim's short rows (decode
// attention's scores) those chains cost more than the products.
MLXCPP_AVX512BF16 inline __m128 lane_sums4(const __m512* a) {
  const __m512 x01 = _mm512_add_ps(_mm512_unpacklo_ps(a[0], a[1]), _mm512_unpackhi_ps(a[0], a[1]));
  const __m512 x23 = _mm512_add_ps(_mm512_unpacklo_ps(a[2], a[3]), _mm512_unpackhi_ps(a[2], a[3]));
  // Each 128-bit lane: {a0, a1, a2, a3} partial sums.
  const __m512 y =
      _mm512_add_ps(_mm512_shuffle_ps(x01, x23, 0x44), _mm512_shuffle_ps(x01, x23, 0xEE));
  const __m256 z = _mm256_add_ps(_mm512_castps512_ps256(y), _mm512_extractf32x8_ps(y, 1));
  return _mm_add_ps(_mm256_castps256_ps128(z), _mm256_extractf128_ps(z, 1));
}

// Row j of W against activation rows m0 .. m0 + MT, which share each load of the row.
template <int MT>
MLXCPP_AVX512BF16 void row_dots(const Problem& g, int64_t j, int64_t m0) {
  __m512 acc[MT];
#pragma GCC unroll 4
  for (int i = 0; i < MT; ++i) {
    acc[i] = _mm512_setzero_ps();
  }
  const uint16_t* x = g.x + m0 * g.ldx;
  const uint16_t* w = g.w + j * g.ldw;
  int64_t p = 0;
  for (; p + kLoad <= g.k; p += kLoad) {
    // kAhead on in memory: with dense rows that runs on into the rows this thread reads
    // next. (A prefetch never faults, so the last rows need no bound; the address is
    // formed as an integer, as it may lie past the array.)
    _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(w + p) +
                                               kAhead * sizeof(uint16_t)),
                 _MM_HINT_T0);
    const __m512bh wv = as_bh(_mm512_loadu_si512(w + p));
#pragma GCC unroll 4
    for (int i = 0; i < MT; ++i) {
      acc[i] = _mm512_dpbf16_ps(acc[i], wv, as_bh(_mm512_loadu_si512(x + i * g.ldx + p)));
    }
  }
  if (p < g.k) {  // the short last chunk: masked loads read zeros past k
    const __mmask32 mask = __mmask32((1ull << (g.k - p)) - 1);
    const __m512bh wv = as_bh(_mm512_maskz_loadu_epi16(mask, w + p));
#pragma GCC unroll 4
    for (int i = 0; i < MT; ++i) {
      acc[i] =
          _mm512_dpbf16_ps(acc[i], wv, as_bh(_mm512_maskz_loadu_epi16(mask, x + i * g.ldx + p)));
    }
  }
  if constexpr (MT == 4) {
    alignas(16) float sums[4];
    _mm_store_ps(sums, lane_sums4(acc));
    for (int i = 0; i < 4; ++i) {
      g.y[(m0 + i) * g.n + j] = sums[i];
    }
  } else {
#pragma GCC unroll 4
    for (int i = 0; i < MT; ++i) {
      g.y[(m0 + i) * g.n + j] = _mm512_reduce_add_ps(acc[i]);
    }
  }
}

// Row j of W against every activation row, at most four at a time.
MLXCPP_AVX512BF16 void row_all_m(const Problem& g, int64_t m, int64_t j) {
  for (int64_t m0 = 0; m0 < m; m0 += 4) {
    switch (std::min<int64_t>(4, m - m0)) {
      case 1:
        row_dots<1>(g, j, m0);
        break;
      case 2:
        row_dots<2>(g, j, m0);
        break;
      case 3:
        row_dots<3>(g, j, m0);
        break;
      default:
        row_dots<4>(g, j, m0);
        break;
    }
  }
}

}  // namespace

bool bf16_gemv_available() {
  static const bool available = quant::cpu_has_avx512bf16();
  return available;
}

void bf16_gemv(const uint16_t* w, int64_t ldw, const uint16_t* x, int64_t ldx, int64_t m, int64_t n,
               int64_t k, float* y) {
  if (k == 0) {
    std::fill_n(y, m * n, 0.0f);
    return;
  }
  const Problem g{w, ldw, x, ldx, n, k, y};
  // About 64 KiB of W per task, so small matrices do not pay for waking the pool.
  const int64_t grain = std::max<int64_t>(1, (int64_t(64) << 10) / (2 * k));
  parallel_for(n, grain, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      row_all_m(g, m, j);
    }
  });
}

}  // namespace mlxcpp::cpu

#else  // not x86-64: no vdpbf16ps

#include "mlxcpp/core/errors.h"

namespace mlxcpp::cpu {

bool bf16_gemv_available() {
  return false;
}

void bf16_gemv(const uint16_t*, int64_t, const uint16_t*, int64_t, int64_t, int64_t, int64_t,
               float*) {
  throw std::logic_error("[bf16_gemv] Needs AVX-512 BF16, which this build cannot use.");
}

}  // namespace mlxcpp::cpu

#endif
