// Matrix-vector products against a float16 / bfloat16 matrix read in place:
// decoding multiplies a few activation rows by each weight once, so the cost
// is reading the weight, and converting it to a float32 copy first (as the
// GEMM path does) would read it twice and write it once more.
#pragma once

#include <cstdint>

#include "mlxcpp/core/dtype.h"

namespace mlxcpp::cpu {

/** The most activation rows half_gemv takes; more rows amortise a float32 copy for GEMM. */
inline constexpr int64_t kHalfGemvMaxRows = 8;

/** Whether half_gemv can read a k x n matrix with these element strides: one of them is 1. */
inline bool half_gemv_layout_ok(int64_t rs, int64_t cs) {
  return rs == 1 || cs == 1;
}

/** y[i][j] = sum_p x[i][p] * B(p, j) for i < m <= kHalfGemvMaxRows and j < n, where x is
 *  float32 [m][k] (row-major), B a float16 or bfloat16 k x n matrix whose element (p, j) is
 *  at b[p * rs + j * cs] with rs == 1 or cs == 1, and y float32 [m][n]. Products and sums in
 *  float32; parallel over the columns on the thread pool. */
void half_gemv(Dtype b_dtype, const void* b, int64_t rs, int64_t cs, const float* x, int64_t m,
               int64_t n, int64_t k, float* y);

/** Whether this CPU and build run bf16_gemv (AVX-512 BF16). */
bool bf16_gemv_available();

/** y[i][j] = dot(x[i], w[j]) for i < m <= kHalfGemvMaxRows and j < n, with bfloat16 x
 *  [m][k] (row stride ldx) and W [n][k] (row stride ldw), and y float32 [m][n]: x @ W^T, the
 *  model layout. The products are exact and summed in float32 by vdpbf16ps, which reads
 *  subnormal inputs as zero and flushes subnormal sums to zero (as the bfloat16 GEMM path).
 *  Parallel over the rows of W. Only where bf16_gemv_available(). */
void bf16_gemv(const uint16_t* w, int64_t ldw, const uint16_t* x, int64_t ldx, int64_t m, int64_t n,
               int64_t k, float* y);

}  // namespace mlxcpp::cpu
