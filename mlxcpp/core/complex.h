// complex64_t: a complex number of two floats, as MLX's.
#pragma once

#include <complex>
#include <cstdint>
#include <type_traits>

#include "mlxcpp/core/half_types.h"

namespace mlxcpp {

struct complex64_t : public std::complex<float> {
  complex64_t() : std::complex<float>() {}
  complex64_t(float re, float im) : std::complex<float>(re, im) {}
  complex64_t(std::complex<float> v) : std::complex<float>(v) {}
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  complex64_t(T x) : std::complex<float>(static_cast<float>(x)) {}
  complex64_t(float16_t x) : std::complex<float>(static_cast<float>(x)) {}
  complex64_t(bfloat16_t x) : std::complex<float>(static_cast<float>(x)) {}

  /** The real part; what MLX gives when a complex value is cast to a real type. */
  explicit operator float() const { return real(); }
};

// Lexicographic order (real, then imaginary), as MLX sorts and compares complex values.
inline bool operator<(const complex64_t& a, const complex64_t& b) {
  return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
}
inline bool operator>(const complex64_t& a, const complex64_t& b) {
  return b < a;
}
inline bool operator<=(const complex64_t& a, const complex64_t& b) {
  return a.real() < b.real() || (a.real() == b.real() && a.imag() <= b.imag());
}
inline bool operator>=(const complex64_t& a, const complex64_t& b) {
  return b <= a;
}

}  // namespace mlxcpp
