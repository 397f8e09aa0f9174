#include "mlxcpp/core/ops_common.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace mlxcpp::detail {

int normalize_axis(const char* op, int axis, int ndim) {
  if (axis < -ndim || axis >= ndim) {
    invalid(op, "Invalid axis {} for an array with {} dimensions; expected an axis in [{}, {}).",
            axis, ndim, -ndim, ndim);
  }
  return axis < 0 ? axis + ndim : axis;
}

std::vector<int> normalize_reduce_axes(const char* op, const std::vector<int>& axes, int ndim) {
  std::vector<int> out;
  out.reserve(axes.size());
  for (int ax : axes) {
    out.push_back(normalize_axis(op, ax, ndim));
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    invalid(op, "Duplicate axes; expected each axis at most once, got {}.", fmt::join(axes, ", "));
  }
  return out;
}

std::vector<int> all_axes(int ndim) {
  std::vector<int> axes(ndim);
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

ShapeElem checked_dim(const char* op, int64_t value) {
  if (value < 0 || value > std::numeric_limits<ShapeElem>::max()) {
    invalid(op, "A dimension of size {} is outside the supported range [0, {}].", value,
            std::numeric_limits<ShapeElem>::max());
  }
  return static_cast<ShapeElem>(value);
}

std::string shape_str(const Shape& shape) {
  return fmt::format("({})", fmt::join(shape, ","));
}

}  // namespace mlxcpp::detail
