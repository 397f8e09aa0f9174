// Layout helpers for strided arrays: flags of a view, merging dimensions
// that are contiguous in every operand, and walking the rows of an
// n-dimensional index space with per-operand offsets.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "mlxcpp/core/array.h"

namespace mlxcpp::cpu {

/** data_size and flags of a view with the given shape and strides (in elements). */
struct Layout {
  size_t data_size;
  array::Flags flags;
};
Layout layout_of(const Shape& shape, const Strides& strides);

/** Row-major strides of a shape. */
Strides row_major_strides(const Shape& shape);

/** Shape and strides of N operands with size-1 dimensions dropped and neighbouring
 *  dimensions merged wherever every operand allows it. Always at least one dimension. */
template <size_t N>
struct Collapsed {
  Shape shape;
  std::array<Strides, N> strides;
};

template <size_t N>
Collapsed<N> collapse_dims(const Shape& shape, const std::array<const Strides*, N>& strides) {
  Collapsed<N> out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) {
      continue;
    }
    bool merge = !out.shape.empty();
    for (size_t k = 0; k < N && merge; ++k) {
      merge = out.strides[k].back() == (*strides[k])[i] * shape[i];
    }
    if (merge) {
      out.shape.back() *= shape[i];
      for (size_t k = 0; k < N; ++k) {
        out.strides[k].back() = (*strides[k])[i];
      }
    } else {
      out.shape.push_back(shape[i]);
      for (size_t k = 0; k < N; ++k) {
        out.strides[k].push_back((*strides[k])[i]);
      }
    }
  }
  if (out.shape.empty()) {
    out.shape.push_back(1);
    for (size_t k = 0; k < N; ++k) {
      out.strides[k].push_back(0);
    }
  }
  return out;
}

/** Walks the rows (all dimensions but the last) of a collapsed index space in row-major
 *  order, keeping each operand's element offset of the row start. */
template <size_t N>
class RowCursor {
 public:
  RowCursor(const Collapsed<N>& c, int64_t first_row) : c_(c), index_(c.shape.size(), 0) {
    offsets_.fill(0);
    // Position at first_row by decomposing it over the outer dimensions.
    int64_t r = first_row;
    for (int d = static_cast<int>(c_.shape.size()) - 2; d >= 0; --d) {
      const int64_t i = r % c_.shape[d];
      r /= c_.shape[d];
      index_[d] = static_cast<ShapeElem>(i);
      for (size_t k = 0; k < N; ++k) {
        offsets_[k] += i * c_.strides[k][d];
      }
    }
  }

  const std::array<int64_t, N>& offsets() const { return offsets_; }

  void next() {
    for (int d = static_cast<int>(c_.shape.size()) - 2; d >= 0; --d) {
      if (++index_[d] < c_.shape[d]) {
        for (size_t k = 0; k < N; ++k) {
          offsets_[k] += c_.strides[k][d];
        }
        return;
      }
      index_[d] = 0;
      for (size_t k = 0; k < N; ++k) {
        offsets_[k] -= (c_.shape[d] - 1) * c_.strides[k][d];
      }
    }
  }

 private:
  const Collapsed<N>& c_;
  std::vector<ShapeElem> index_;
  std::array<int64_t, N> offsets_;
};

/** Number of rows (product of all but the last dimension) of a collapsed shape. */
inline int64_t num_rows(const Shape& collapsed_shape) {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < collapsed_shape.size(); ++d) {
    rows *= collapsed_shape[d];
  }
  return rows;
}

/** Elements per parallel task for cheap elementwise work. */
inline constexpr int64_t elementwise_grain = 1 << 15;

}  // namespace mlxcpp::cpu
