#include "mlxcpp/backend/cpu/strided.h"

namespace mlxcpp::cpu {

Layout layout_of(const Shape& shape, const Strides& strides) {
  Layout l{0, {true, true, true}};
  int64_t size = 1;
  for (auto d : shape) {
    size *= d;
  }
  if (size == 0) {
    return l;
  }
  size_t span = 1;
  size_t dense = 1;
  bool negative = false;
  int64_t row_expect = 1;
  int64_t col_expect = 1;
  const int n = static_cast<int>(shape.size());
  for (int i = 0; i < n; ++i) {
    const int ri = n - 1 - i;
    l.flags.col_contiguous &= shape[i] == 1 || strides[i] == col_expect;
    l.flags.row_contiguous &= shape[ri] == 1 || strides[ri] == row_expect;
    col_expect *= shape[i];
    row_expect *= shape[ri];
    if (shape[i] > 1) {
      const int64_t st = strides[i];
      negative |= st < 0;
      span += static_cast<size_t>(shape[i] - 1) * static_cast<size_t>(st < 0 ? -st : st);
      if (st != 0) {
        dense *= static_cast<size_t>(shape[i]);
      }
    }
  }
  l.data_size = span;
  l.flags.contiguous = !negative && dense == span;
  return l;
}

Strides row_major_strides(const Shape& shape) {
  Strides st(shape.size());
  int64_t s = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

}  // namespace mlxcpp::cpu
