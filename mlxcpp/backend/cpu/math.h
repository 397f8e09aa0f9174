// Scalar math used by the kernels where the C++ library is slow or missing:
// a vectorisable float exp, erfinv, and integer arithmetic that is defined
// on every input (C++ leaves signed overflow, division by zero and large
// shifts undefined).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace mlxcpp::cpu {

/** e^x in float, within about 1 ulp, without branches so loops vectorise.
 *  exp(NaN) = NaN, exp(+inf) = inf, exp(-inf) = 0. */
inline float fast_exp(float x) {
  const bool is_nan = !(x == x);
  float xc = x > 88.7228f ? 88.7228f : x;
  xc = xc < -103.9721f ? -103.9721f : xc;
  xc = is_nan ? 0.0f : xc;
  // x = n ln2 + r, |r| <= ln2 / 2, with ln2 split in two for exact reduction.
  const float shifter = 12582912.0f;  // 1.5 * 2^23: rounds to the nearest integer
  const float t = xc * 1.44269504088896341f + shifter;
  const float n = t - shifter;
  float r = std::fma(n, -0.693145751953125f, xc);
  r = std::fma(n, -1.428606765330187045e-06f, r);
  // Taylor series of e^r to degree 7 (error < 1e-8 relative on the range).
  float p = 1.0f / 5040.0f;
  p = std::fma(p, r, 1.0f / 720.0f);
  p = std::fma(p, r, 1.0f / 120.0f);
  p = std::fma(p, r, 1.0f / 24.0f);
  p = std::fma(p, r, 1.0f / 6.0f);
  p = std::fma(p, r, 0.5f);
  p = std::fma(p, r, 1.0f);
  p = std::fma(p, r, 1.0f);
  // 2^n in two halves so that subnormal results and 2^128 do not overflow the exponent.
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t n1 = ni / 2;
  const int32_t n2 = ni - n1;
  const float s1 = std::bit_cast<float>(static_cast<uint32_t>(n1 + 127) << 23);
  const float s2 = std::bit_cast<float>(static_cast<uint32_t>(n2 + 127) << 23);
  float result = p * s1 * s2;
  result = x > 88.7228f ? std::numeric_limits<float>::infinity() : result;
  result = x < -103.9721f ? 0.0f : result;
  return is_nan ? x : result;
}

/** 1 / (1 + e^-x), computed from e^|x|: a large |x| gives exactly 0 or 1, never NaN. */
inline float sigmoid(float x) {
  const float y = 1.0f / (1.0f + fast_exp(std::fabs(x)));
  return x < 0.0f ? y : 1.0f - y;
}

/** Inverse error function in float (Giles' single-precision approximation). */
inline float erfinv_float(float a) {
  if (!(std::fabs(a) <= 1.0f)) {
    return std::numeric_limits<float>::quiet_NaN();
  }
  if (std::fabs(a) == 1.0f) {
    return std::copysign(std::numeric_limits<float>::infinity(), a);
  }
  float t = std::log(std::fma(a, -a, 1.0f));
  float p;
  if (std::fabs(t) > 6.125f) {
    p = 3.03697567e-10f;
    p = std::fma(p, t, 2.93243101e-8f);
    p = std::fma(p, t, 1.22150334e-6f);
    p = std::fma(p, t, 2.84108955e-5f);
    p = std::fma(p, t, 3.93552968e-4f);
    p = std::fma(p, t, 3.02698812e-3f);
    p = std::fma(p, t, 4.83185798e-3f);
    p = std::fma(p, t, -2.64646143e-1f);
    p = std::fma(p, t, 8.40016484e-1f);
  } else {
    p = 5.43877832e-9f;
    p = std::fma(p, t, 1.43285448e-7f);
    p = std::fma(p, t, 1.22774793e-6f);
    p = std::fma(p, t, 1.12963626e-7f);
    p = std::fma(p, t, -5.61530760e-5f);
    p = std::fma(p, t, -1.47697632e-4f);
    p = std::fma(p, t, 2.31468678e-3f);
    p = std::fma(p, t, 1.15392581e-2f);
    p = std::fma(p, t, -2.32015476e-1f);
    p = std::fma(p, t, 8.86226892e-1f);
  }
  return a * p;
}

/** Inverse error function in double: the float estimate refined by Newton steps. */
inline double erfinv_double(double a) {
  if (!(std::fabs(a) <= 1.0)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (std::fabs(a) == 1.0) {
    return std::copysign(std::numeric_limits<double>::infinity(), a);
  }
  double x = erfinv_float(static_cast<float>(a));
  if (!std::isfinite(x)) {
    return x;
  }
  constexpr double two_over_sqrt_pi = 1.1283791670955126;
  for (int i = 0; i < 3; ++i) {
    const double err = std::erf(x) - a;
    const double d = two_over_sqrt_pi * std::exp(-x * x);
    if (d == 0.0) {
      break;
    }
    x -= err / d;
  }
  return x;
}

/** The identity of max: -inf where T has it, else its lowest value (complex: real part). */
template <typename T>
T max_identity() {
  if constexpr (std::is_class_v<T> && !std::numeric_limits<T>::is_specialized) {
    return T(-std::numeric_limits<float>::infinity());  // complex64_t
  } else if constexpr (std::numeric_limits<T>::has_infinity) {
    return -std::numeric_limits<T>::infinity();
  } else {
    return std::numeric_limits<T>::lowest();
  }
}

/** The identity of min: +inf where T has it, else its largest value. */
template <typename T>
T min_identity() {
  if constexpr (std::is_class_v<T> && !std::numeric_limits<T>::is_specialized) {
    return T(std::numeric_limits<float>::infinity());  // complex64_t
  } else if constexpr (std::numeric_limits<T>::has_infinity) {
    return std::numeric_limits<T>::infinity();
  } else {
    return std::numeric_limits<T>::max();
  }
}

template <typename T>
using unsigned_of = std::make_unsigned_t<T>;

/** Wrapping integer arithmetic (two's complement), defined for every input. */
template <typename T>
inline T wrap_add(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return a || b;
  } else {
    return static_cast<T>(static_cast<unsigned_of<T>>(a) + static_cast<unsigned_of<T>>(b));
  }
}
template <typename T>
inline T wrap_sub(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return a != b;  // as the integers 0 and 1, then converted back to bool
  } else {
    return static_cast<T>(static_cast<unsigned_of<T>>(a) - static_cast<unsigned_of<T>>(b));
  }
}
template <typename T>
inline T wrap_mul(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return a && b;
  } else {
    // Promote to at least unsigned int so that uint16 * uint16 does not go through int.
    using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, unsigned_of<T>>;
    return static_cast<T>(static_cast<U>(static_cast<unsigned_of<T>>(a)) *
                          static_cast<U>(static_cast<unsigned_of<T>>(b)));
  }
}
template <typename T>
inline T wrap_neg(T a) {
  return static_cast<T>(unsigned_of<T>(0) - static_cast<unsigned_of<T>>(a));
}

/** Integer a / b truncated toward zero; x / 0 = 0 and MIN / -1 = MIN (wraps). */
template <typename T>
inline T int_divide(T a, T b) {
  if (b == 0) {
    return 0;
  }
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) {
      return wrap_neg(a);
    }
  }
  return static_cast<T>(a / b);
}

/** Integer a % b truncated (sign of a); x % 0 = 0. */
template <typename T>
inline T int_rem(T a, T b) {
  if (b == 0) {
    return 0;
  }
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) {
      return 0;
    }
  }
  return static_cast<T>(a % b);
}

/** Shift left; counts outside [0, bits) give 0. */
template <typename T>
inline T shift_left(T a, T count) {
  constexpr int bits = sizeof(T) * 8;
  if constexpr (std::is_signed_v<T>) {
    if (count < 0) {
      return 0;
    }
  }
  if (static_cast<uint64_t>(count) >= static_cast<uint64_t>(bits)) {
    return 0;
  }
  return static_cast<T>(static_cast<unsigned_of<T>>(a) << count);
}

/** Shift right (arithmetic for signed types); counts outside [0, bits) give 0 or -1. */
template <typename T>
inline T shift_right(T a, T count) {
  constexpr int bits = sizeof(T) * 8;
  bool out_of_range = static_cast<uint64_t>(count) >= static_cast<uint64_t>(bits);
  if constexpr (std::is_signed_v<T>) {
    out_of_range |= count < 0;
    if (out_of_range) {
      return a < 0 ? T(-1) : T(0);
    }
  }
  if (out_of_range) {
    return 0;
  }
  return static_cast<T>(a >> count);
}

}  // namespace mlxcpp::cpu
