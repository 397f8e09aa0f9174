// Call a generic lambda with the C++ value type of a dtype:
//   dispatch_all_types(dtype, [&](auto tag) { using T = MLXCPP_TAG_TYPE(tag); ... });
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>

#include "mlxcpp/core/dtype.h"

namespace mlxcpp::cpu {

template <typename T>
struct TypeTag {
  using type = T;
};

#define MLXCPP_TAG_TYPE(tag) typename std::decay_t<decltype(tag)>::type

template <typename F>
void dispatch_all_types(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::Val::bool_:
      return f(TypeTag<bool>{});
    case Dtype::Val::uint8:
      return f(TypeTag<uint8_t>{});
    case Dtype::Val::uint16:
      return f(TypeTag<uint16_t>{});
    case Dtype::Val::uint32:
      return f(TypeTag<uint32_t>{});
    case Dtype::Val::uint64:
      return f(TypeTag<uint64_t>{});
    case Dtype::Val::int8:
      return f(TypeTag<int8_t>{});
    case Dtype::Val::int16:
      return f(TypeTag<int16_t>{});
    case Dtype::Val::int32:
      return f(TypeTag<int32_t>{});
    case Dtype::Val::int64:
      return f(TypeTag<int64_t>{});
    case Dtype::Val::float16:
      return f(TypeTag<float16_t>{});
    case Dtype::Val::float32:
      return f(TypeTag<float>{});
    case Dtype::Val::float64:
      return f(TypeTag<double>{});
    case Dtype::Val::bfloat16:
      return f(TypeTag<bfloat16_t>{});
    case Dtype::Val::complex64:
      return f(TypeTag<complex64_t>{});
  }
}

/** Dispatch over the real types (everything but complex64). */
template <typename F>
void dispatch_real_types(Dtype dtype, const char* op, F&& f) {
  if (dtype == complex64) {
    throw std::invalid_argument(std::string("[") + op + "] complex64 is not supported.");
  }
  dispatch_all_types(dtype, [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    if constexpr (!std::is_same_v<T, complex64_t>) {
      f(tag);
    }
  });
}

/** Dispatch over the floating types (float16, bfloat16, float32, float64 and complex64). */
template <typename F>
void dispatch_inexact_types(Dtype dtype, const char* op, F&& f) {
  switch (dtype) {
    case Dtype::Val::float16:
      return f(TypeTag<float16_t>{});
    case Dtype::Val::float32:
      return f(TypeTag<float>{});
    case Dtype::Val::float64:
      return f(TypeTag<double>{});
    case Dtype::Val::bfloat16:
      return f(TypeTag<bfloat16_t>{});
    case Dtype::Val::complex64:
      return f(TypeTag<complex64_t>{});
    default:
      throw std::invalid_argument(std::string("[") + op +
                                  "] Expected a floating point dtype, got " +
                                  std::string(dtype_name(dtype)) + ".");
  }
}

/** Dispatch over bool and the integer types. */
template <typename F>
void dispatch_integer_types(Dtype dtype, const char* op, F&& f) {
  dispatch_all_types(dtype, [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    if constexpr (std::is_integral_v<T>) {
      f(tag);
    } else {
      throw std::invalid_argument(std::string("[") + op + "] Expected an integer dtype, got " +
                                  std::string(dtype_name(dtype)) + ".");
    }
  });
}

}  // namespace mlxcpp::cpu
