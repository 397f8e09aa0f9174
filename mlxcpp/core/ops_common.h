// Helpers shared by the op implementations (not part of the public API).
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/dtype.h"

namespace mlxcpp::detail {

/** Throws std::invalid_argument with the message "[op] " + formatted text. */
template <typename... Args>
[[noreturn]] void invalid(const char* op, fmt::format_string<Args...> format, Args&&... args) {
  throw std::invalid_argument(fmt::format("[{}] ", op) +
                              fmt::format(format, std::forward<Args>(args)...));
}

/** The dtype itself when it is inexact, else its promotion with float32. */
inline Dtype at_least_float(Dtype d) {
  return issubdtype(d, inexact) ? d : promote_types(d, float32);
}

/** Axis normalized into [0, ndim) or an error naming the op. */
int normalize_axis(const char* op, int axis, int ndim);

/** Sorted, unique, normalized axes for a reduction; throws on duplicates or range. */
std::vector<int> normalize_reduce_axes(const char* op, const std::vector<int>& axes, int ndim);

/** All axes of an array, 0..ndim-1. */
std::vector<int> all_axes(int ndim);

/** Product of dims as int64 with an overflow check against the 32-bit shape range. */
ShapeElem checked_dim(const char* op, int64_t value);

/** Shape string for messages: (2,3,4). */
std::string shape_str(const Shape& shape);

}  // namespace mlxcpp::detail
