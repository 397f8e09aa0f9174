// AVX-512 BF16 GEMM of the quantized matmul for bfloat16 activations (prefill): affine 4-
// and 8-bit weights, transposed layout; see quantized.h.
//
// Why: the float path dequantizes W to float32 and runs sgemm, bound by float32 FMA
// throughput. vdpbf16ps does twice the multiply-adds per instruction, and with bfloat16
// activations nothing is lost: x is bfloat16 and the codes (0..255) are exact in bfloat16,
// so every product x * q is exact in float32. Each group's dot product sum(x q) is then
// scaled, and the bias enters through the group sum of x:
//     y[m][n] = sum_g  s[n][g] * sum_{k in g} x[m][k] q[n][k]  +  b[n][g] * xsum[m][g].
// Only the float32 accumulation rounds, as in the float path (in another order).
//
// Layout: lanes are activation rows. A is packed once per product as dwords holding the
// pair (x[m][2p], x[m][2p+1]), [m-tile of 32][pair][32 rows]; each thread unpacks its block
// of W rows to the same pairs of codes as bfloat16, [row][pair], and the 32 x 6 micro-
// kernel broadcasts one pair of a W row against the 32 rows of A (2 registers) per
// instruction.
#include "mlxcpp/backend/cpu/quantized.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <algorithm>
#include <vector>

#include "mlxcpp/backend/cpu/isa_target.h"
#include "mlxcpp/backend/cpu/threadpool.h"

namespace mlxcpp::cpu::quant {

namespace {

constexpr int kMr = 32;  // activation rows per micro-tile (two registers of lanes)
constexpr int kNr = 6;   // W rows per micro-tile
constexpr int kNc = 48;  // W rows a thread unpacks at a time (a multiple of kNr)

// The bfloat16 bits of small integers (exact: the float's low 16 bits are zero).
MLXCPP_AVX512BF16 inline __m512i bf16_of_ints(__m512i v) {
  return _mm512_srli_epi32(_mm512_castps_si512(_mm512_cvtepi32_ps(v)), 16);
}

// Codes of one W row as pairs of bfloat16 (low half: the even code), `pairs` of them.
MLXCPP_AVX512BF16 void unpack_row(const uint8_t* w, int bits, int64_t pairs, uint32_t* out) {
  if (bits == 16) {  // bfloat16 weights: already pairs
    std::memcpy(out, w, size_t(pairs) * sizeof(uint32_t));
    return;
  }
  for (int64_t p = 0; p < pairs; p += 16) {
    __m512i lo, hi;
    if (bits == 4) {  // a byte holds a pair: low nibble even, high nibble odd
      const __m512i b =
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + p)));
      lo = _mm512_and_si512(b, _mm512_set1_epi32(15));
      hi = _mm512_srli_epi32(b, 4);
    } else {  // 8 bits: two bytes per pair
      const __m512i b =
          _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2 * p)));
      lo = _mm512_and_si512(b, _mm512_set1_epi32(255));
      hi = _mm512_srli_epi32(b, 8);
    }
    const __m512i v = _mm512_or_si512(bf16_of_ints(lo), _mm512_slli_epi32(bf16_of_ints(hi), 16));
    _mm512_storeu_si512(out + p, v);
  }
}

// 32 activation rows (packed A of one m-tile) against kNr unpacked W rows, all K: returns
// y[j][m] in `res` ([kNr][kMr]).
MLXCPP_AVX512BF16 void micro_kernel(const uint32_t* a, const float* xsum, const uint32_t* b,
                                    int64_t pairs, const float* s, const float* bias, int G,
                                    int group_pairs, float* res) {
  __m512 tot[kNr][2];
  for (int j = 0; j < kNr; ++j) {
    tot[j][0] = _mm512_setzero_ps();
    tot[j][1] = _mm512_setzero_ps();
  }
  for (int g = 0; g < G; ++g) {
    __m512 acc[kNr][2];
    for (int j = 0; j < kNr; ++j) {
      acc[j][0] = _mm512_setzero_ps();
      acc[j][1] = _mm512_setzero_ps();
    }
    const int64_t p0 = int64_t(g) * group_pairs;
    for (int64_t p = p0; p < p0 + group_pairs; ++p) {
      const __m512bh a0 = (__m512bh)_mm512_loadu_si512(a + p * kMr);
      const __m512bh a1 = (__m512bh)_mm512_loadu_si512(a + p * kMr + 16);
#pragma GCC unroll 6
      for (int j = 0; j < kNr; ++j) {
        const __m512bh w = (__m512bh)_mm512_set1_epi32(int(b[j * pairs + p]));
        acc[j][0] = _mm512_dpbf16_ps(acc[j][0], a0, w);
        acc[j][1] = _mm512_dpbf16_ps(acc[j][1], a1, w);
      }
    }
    const __m512 xs0 = _mm512_loadu_ps(xsum + int64_t(g) * kMr);
    const __m512 xs1 = _mm512_loadu_ps(xsum + int64_t(g) * kMr + 16);
#pragma GCC unroll 6
    for (int j = 0; j < kNr; ++j) {
      const __m512 sj = _mm512_set1_ps(s[j * G + g]);
      const __m512 bj = _mm512_set1_ps(bias[j * G + g]);
      tot[j][0] = _mm512_fmadd_ps(xs0, bj, _mm512_fmadd_ps(acc[j][0], sj, tot[j][0]));
      tot[j][1] = _mm512_fmadd_ps(xs1, bj, _mm512_fmadd_ps(acc[j][1], sj, tot[j][1]));
    }
  }
  for (int j = 0; j < kNr; ++j) {
    _mm512_storeu_ps(res + j * kMr, tot[j][0]);
    _mm512_storeu_ps(res + j * kMr + 16, tot[j][1]);
  }
}

}  // namespace

MLXCPP_AVX512BF16 void qgemm_avx512bf16(const QGemmBf16& q) {
  const int64_t pairs = q.K / 2;
  const int G = int(q.K / q.group_size);
  const int64_t tiles = (q.M + kMr - 1) / kMr;
  // A as pairs, [tile][pair][32 rows], zero past M; group sums [tile][G][32].
  std::vector<uint32_t> a(size_t(tiles * pairs * kMr));
  std::vector<float> xsum(size_t(tiles * G * kMr));
  parallel_for(tiles, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      uint32_t* at = a.data() + t * pairs * kMr;
      float* xs = xsum.data() + t * G * kMr;
      const uint16_t* rows[kMr];
      for (int r = 0; r < kMr; ++r) {
        const int64_t m = t * kMr + r;
        rows[r] = m < q.M ? q.x + m * q.K : nullptr;
      }
      for (int64_t p = 0; p < pairs; ++p) {
        for (int r = 0; r < kMr; ++r) {
          uint32_t v = 0;
          if (rows[r]) {
            std::memcpy(&v, rows[r] + 2 * p, sizeof(v));
          }
          at[p * kMr + r] = v;
        }
      }
      for (int r = 0; r < kMr; ++r) {
        for (int g = 0; g < G; ++g) {
          float sum = 0.0f;
          for (int64_t k = int64_t(g) * q.group_size; rows[r] && k < int64_t(g + 1) * q.group_size;
               ++k) {
            const uint32_t bits = uint32_t(rows[r][k]) << 16;
            float v;
            std::memcpy(&v, &bits, sizeof(v));
            sum += v;
          }
          xs[int64_t(g) * kMr + r] = sum;
        }
      }
    }
  });
  const int64_t blocks = (q.N + kNc - 1) / kNc;
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<uint32_t> w(size_t(kNc * pairs));
    std::vector<float> s(size_t(kNc) * G), bias(size_t(kNc) * G);
    float res[kNr * kMr];
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t n0 = blk * kNc;
      const int64_t rows = std::min<int64_t>(kNc, q.N - n0);
      q.load_groups(n0, rows, s.data(), bias.data());
      for (int64_t r = 0; r < kNc; ++r) {
        if (r < rows) {
          unpack_row(q.w + (n0 + r) * q.row_bytes, q.bits, pairs, w.data() + r * pairs);
        } else {  // padding rows: zero codes and scales, results not stored
          std::fill_n(w.data() + r * pairs, pairs, 0u);
          std::fill_n(s.data() + r * G, G, 0.0f);
          std::fill_n(bias.data() + r * G, G, 0.0f);
        }
      }
      for (int64_t t = 0; t < tiles; ++t) {
        const int64_t mrows = std::min<int64_t>(kMr, q.M - t * kMr);
        for (int64_t j0 = 0; j0 < rows; j0 += kNr) {
          micro_kernel(a.data() + t * pairs * kMr, xsum.data() + t * G * kMr, w.data() + j0 * pairs,
                       pairs, s.data() + j0 * G, bias.data() + j0 * G, G, q.group_size / 2, res);
          const int64_t cols = std::min<int64_t>(kNr, rows - j0);
          for (int64_t r = 0; r < mrows; ++r) {
            float* o = q.out + (t * kMr + r) * q.N + n0 + j0;
            for (int64_t j = 0; j < cols; ++j) {
              o[j] = res[j * kMr + r];
            }
          }
        }
      }
    }
  });
}

}  // namespace mlxcpp::cpu::quant

#else  // not x86-64

#include <stdexcept>

namespace mlxcpp::cpu::quant {

void qgemm_avx512bf16(const QGemmBf16&) {
  throw std::logic_error("[quantized_matmul] AVX-512 BF16 kernels are not built on this platform.");
}

}  // namespace mlxcpp::cpu::quant

#endif
