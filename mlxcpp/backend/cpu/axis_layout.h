// A row-major array seen as (outer, n, inner) around one axis, the layout
// that per-axis kernels (arg reduce, scan, sort, softmax) work on.
#pragma once

#include <cstdint>

#include "mlxcpp/core/array.h"

namespace mlxcpp::cpu {

struct AxisLayout {
  int64_t outer;
  int64_t n;
  int64_t inner;
};

inline AxisLayout axis_layout(const Shape& shape, int axis) {
  AxisLayout l{1, shape[axis], 1};
  for (int i = 0; i < axis; ++i) {
    l.outer *= shape[i];
  }
  for (size_t i = axis + 1; i < shape.size(); ++i) {
    l.inner *= shape[i];
  }
  return l;
}

}  // namespace mlxcpp::cpu
