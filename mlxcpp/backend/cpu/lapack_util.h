// Helpers for the LAPACK-backed kernels: batches of matrices, layout changes
// between our row-major arrays and LAPACK's column-major ones, and workspace.
//
// A row-major m x n matrix is, read column-major, its n x m transpose; the
// kernels use that instead of copying wherever the algebra allows.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "mlxcpp/core/array.h"

namespace mlxcpp::cpu {

/** dst (column-major rows x cols) = src (row-major rows x cols); also the reverse
 *  direction when called with (cols, rows). */
template <typename T>
void transpose_matrix(const T* src, int64_t rows, int64_t cols, T* dst) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      dst[j * rows + i] = src[i * cols + j];
    }
  }
}

/** Number of matrices in the batch of an array whose last two axes are the matrices. */
inline int64_t matrix_batch(const array& a) {
  const int64_t rows = a.shape(-2);
  const int64_t cols = a.shape(-1);
  return rows * cols == 0 ? 0 : static_cast<int64_t>(a.size()) / (rows * cols);
}

/** A LAPACK workspace size returned (as a T) by a query call. */
template <typename T>
int workspace_size(T queried) {
  if constexpr (std::is_arithmetic_v<T>) {
    return std::max(1, static_cast<int>(queried));
  } else {
    return std::max(1, static_cast<int>(queried.real()));
  }
}

/** Throws std::runtime_error for a LAPACK info code that reports a bad argument (a bug). */
inline void check_lapack_arguments(const char* op, const char* routine, int info) {
  if (info < 0) {
    throw std::runtime_error(
        fmt::format("[{}] LAPACK {} rejected argument {}.", op, routine, -info));
  }
}

}  // namespace mlxcpp::cpu
