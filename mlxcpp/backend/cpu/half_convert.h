// Bulk conversions between the 16-bit float types and float32, for kernels
// that work on float32 tiles: F16C (8 lanes) where the compiler targets it,
// bfloat16 with integer lane operations the compiler vectorises, and the
// scalar conversions of half_types.h otherwise. Rounding is to nearest even
// everywhere, as the scalar conversions.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "mlxcpp/core/half_types.h"

#if defined(__F16C__) && defined(__AVX__)
#include <immintrin.h>
#endif

namespace mlxcpp::cpu {

inline void to_float(const float* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

inline void to_float(const double* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    dst[i] = static_cast<float>(src[i]);
  }
}

inline void to_float(const float16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__) && defined(__AVX__)
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
#endif
  for (; i < n; ++i) {
    dst[i] = static_cast<float>(src[i]);
  }
}

inline void to_float(const bfloat16_t* src, float* dst, int64_t n) {
  const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) {
    // bit_cast, not a store through uint32_t*: that is undefined on float storage, and GCC
    // drops such stores into a local float array that is read as float afterwards.
    dst[i] = std::bit_cast<float>(static_cast<uint32_t>(s[i]) << 16);
  }
}

inline void from_float(const float* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

inline void from_float(const float* src, double* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    dst[i] = src[i];
  }
}

inline void from_float(const float* src, float16_t* dst, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__) && defined(__AVX__)
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
#endif
  for (; i < n; ++i) {
    dst[i] = float16_t(src[i]);
  }
}

inline void from_float(const float* src, bfloat16_t* dst, int64_t n) {
  uint16_t* d = reinterpret_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t u = std::bit_cast<uint32_t>(src[i]);
    const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
    const uint32_t rounded = u + ((u >> 16) & 1u) + 0x7fffu;
    d[i] = nan ? uint16_t(0x7fc0u) : static_cast<uint16_t>(rounded >> 16);
  }
}

/** x[i] = float(T(x[i])): rounds float values to T's precision in place. */
template <typename T>
void round_through(float* x, int64_t n, T* scratch) {
  if constexpr (!std::is_same_v<T, float>) {
    from_float(x, scratch, n);
    to_float(scratch, x, n);
  }
}

}  // namespace mlxcpp::cpu
