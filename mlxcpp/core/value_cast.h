// value_cast<To>(from): convert one element between any two dtypes' value
// types, as astype does (complex to real keeps the real part; to bool is != 0;
// half types go through float; float to integer is NaN -> 0 and saturates
// at the integer's range, where C++ and MLX leave it undefined; double to float
// overflows to inf as IEEE rounding does).
#pragma once

#include <limits>
#include <type_traits>

#include "mlxcpp/core/complex.h"
#include "mlxcpp/core/half_types.h"

namespace mlxcpp {

template <typename T>
inline constexpr bool is_half_v = std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

template <typename T>
inline constexpr bool is_complex_v =
    std::is_same_v<T, complex64_t> || std::is_same_v<T, std::complex<float>>;

template <typename To, typename From>
inline To value_cast(const From& v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_complex_v<From>) {
    if constexpr (is_complex_v<To>) {
      return To(v.real(), v.imag());
    } else if constexpr (std::is_same_v<To, bool>) {
      return v.real() != 0 || v.imag() != 0;
    } else {
      return value_cast<To>(v.real());
    }
  } else if constexpr (is_complex_v<To>) {
    return To(value_cast<float>(v), 0.0f);
  } else if constexpr (std::is_same_v<To, bool>) {
    if constexpr (is_half_v<From>) {
      return static_cast<float>(v) != 0.0f;
    } else {
      return v != From(0);
    }
  } else if constexpr (is_half_v<From>) {
    return value_cast<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, float> && std::is_same_v<From, double>) {
    // Past float's range C++ leaves the conversion undefined; IEEE rounding gives inf from
    // FLT_MAX + half an ulp (2^103) on, and FLT_MAX below that.
    constexpr double max = std::numeric_limits<float>::max();
    constexpr double overflow = max + 0x1p103;
    if (v > max || v < -max) {
      const float mag = (v >= overflow || v <= -overflow) ? std::numeric_limits<float>::infinity()
                                                          : std::numeric_limits<float>::max();
      return v > 0 ? mag : -mag;
    }
    return static_cast<float>(v);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    // Defined for every input (C++ leaves out-of-range conversions undefined):
    // NaN gives 0 and values outside To's range saturate.
    constexpr From lo = static_cast<From>(std::numeric_limits<To>::min());
    constexpr From hi = static_cast<From>(std::numeric_limits<To>::max());
    if (!(v == v)) {
      return To(0);
    }
    if (v <= lo) {
      return std::numeric_limits<To>::min();
    }
    if (v >= hi) {
      return std::numeric_limits<To>::max();
    }
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace mlxcpp
