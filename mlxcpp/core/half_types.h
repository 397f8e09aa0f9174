// float16_t and bfloat16_t: 16-bit floating point value types.
//
// Both store raw bits and convert to and from float with round-to-nearest-even.
// Arithmetic happens in float: a half value converts implicitly to float, and
// any arithmetic value converts implicitly to a half (through float, as MLX does).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace mlxcpp {

namespace detail {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

/** float -> IEEE binary16 bits, round to nearest even; NaN stays a quiet NaN. */
inline uint16_t float_to_half_bits(float f) {
#if defined(__F16C__)
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
#else
  uint32_t x = float_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) {  // inf or NaN
    return static_cast<uint16_t>(sign |
                                 (x > 0x7f800000u ? (0x7e00u | ((x >> 13) & 0x3ffu)) : 0x7c00u));
  }
  if (x >= 0x477ff000u) {  // rounds to infinity
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  if (x < 0x38800000u) {  // result is subnormal or zero: let the FPU round
    float a = bits_float(x) + 0.5f;
    return static_cast<uint16_t>(sign | (float_bits(a) - 0x3f000000u));
  }
  const uint32_t mant_odd = (x >> 13) & 1u;
  x += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round
  return static_cast<uint16_t>(sign | (x >> 13));
#endif
}

/** IEEE binary16 bits -> float (exact). */
inline float half_bits_to_float(uint16_t h) {
#if defined(__F16C__)
  return _cvtsh_ss(h);
#else
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    float v = static_cast<float>(mant) * 5.9604644775390625e-8f;  // mant * 2^-24
    return bits_float(sign | float_bits(v));
  }
  if (exp == 31) {
    return bits_float(sign | 0x7f800000u | (mant << 13));
  }
  return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
#endif
}

/** float -> bfloat16 bits, round to nearest even; NaN becomes 0x7FC0 as in MLX. */
inline uint16_t float_to_bfloat_bits(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    return 0x7fc0u;
  }
  u += ((u >> 16) & 1u) + 0x7fffu;
  return static_cast<uint16_t>(u >> 16);
}

inline float bfloat_bits_to_float(uint16_t b) {
  return bits_float(static_cast<uint32_t>(b) << 16);
}

template <typename T>
inline constexpr bool is_plain_arithmetic_v = std::is_arithmetic_v<T>;

}  // namespace detail

struct bfloat16_t;

/** IEEE 754 binary16 value. */
struct float16_t {
  uint16_t bits_;

  float16_t() = default;
  template <typename T, typename = std::enable_if_t<detail::is_plain_arithmetic_v<T>>>
  float16_t(T x) : bits_(detail::float_to_half_bits(static_cast<float>(x))) {}
  float16_t(bfloat16_t x);

  static float16_t from_bits(uint16_t b) {
    float16_t h;
    h.bits_ = b;
    return h;
  }
  operator float() const { return detail::half_bits_to_float(bits_); }
};

/** bfloat16 value (the upper half of a float32). */
struct bfloat16_t {
  uint16_t bits_;

  bfloat16_t() = default;
  template <typename T, typename = std::enable_if_t<detail::is_plain_arithmetic_v<T>>>
  bfloat16_t(T x) : bits_(detail::float_to_bfloat_bits(static_cast<float>(x))) {}
  // Through float, so a half value does not take the integer path.
  bfloat16_t(float16_t x) : bfloat16_t(static_cast<float>(x)) {}

  static bfloat16_t from_bits(uint16_t b) {
    bfloat16_t h;
    h.bits_ = b;
    return h;
  }
  operator float() const { return detail::bfloat_bits_to_float(bits_); }
};

inline float16_t::float16_t(bfloat16_t x) : float16_t(static_cast<float>(x)) {}

}  // namespace mlxcpp
