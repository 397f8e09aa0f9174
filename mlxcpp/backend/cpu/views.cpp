// Primitives whose result shares the input's buffer with a new shape or
// strides: reshapes, transpose, broadcast, squeeze/expand, as_strided, view.
#include <numeric>
#include <optional>

#include "mlxcpp/backend/cpu/copy.h"
#include "mlxcpp/backend/cpu/strided.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

// out shares in's buffer with the given strides and an offset in elements.
void share_view(const array& in, array& out, const Strides& strides, int64_t offset = 0) {
  const auto l = cpu::layout_of(out.shape(), strides);
  out.copy_shared_buffer(in, strides, l.flags, l.data_size, offset);
}

// Strides that give `in` the new shape without moving data, if there are any
// (the same elements in the same row-major order).
std::optional<Strides> reshape_strides(const array& in, const Shape& shape) {
  if (in.flags().row_contiguous) {
    return cpu::row_major_strides(shape);
  }
  if (in.size() == 0) {
    return cpu::row_major_strides(shape);
  }
  Shape old_shape;
  Strides old_strides;
  for (size_t i = 0; i < in.ndim(); ++i) {
    if (in.shape(i) != 1) {
      old_shape.push_back(in.shape(i));
      old_strides.push_back(in.strides()[i]);
    }
  }
  Strides strides(shape.size(), 1);
  const size_t old_nd = old_shape.size();
  const size_t new_nd = shape.size();
  size_t oi = 0, oj = 1, ni = 0, nj = 1;
  while (ni < new_nd && oi < old_nd) {
    int64_t np = shape[ni];
    int64_t op = old_shape[oi];
    while (np != op) {
      if (np < op) {
        np *= shape[nj++];
      } else {
        op *= old_shape[oj++];
      }
    }
    // The old dimensions in [oi, oj) must be one contiguous block.
    for (size_t ok = oi; ok + 1 < oj; ++ok) {
      if (old_strides[ok] != old_shape[ok + 1] * old_strides[ok + 1]) {
        return std::nullopt;
      }
    }
    strides[nj - 1] = old_strides[oj - 1];
    for (size_t nk = nj - 1; nk > ni; --nk) {
      strides[nk - 1] = strides[nk] * shape[nk];
    }
    ni = nj++;
    oi = oj++;
  }
  // Any remaining new dimensions have size 1; their stride does not matter.
  return strides;
}

void reshape_view(const array& in, array& out) {
  if (auto strides = reshape_strides(in, out.shape())) {
    share_view(in, out, *strides);
  } else {
    cpu::copy_to_row_major(in, out);
  }
}

}  // namespace

void Reshape::eval_cpu(const std::vector<array>& inputs, array& out) {
  reshape_view(inputs[0], out);
}

void Flatten::eval_cpu(const std::vector<array>& inputs, array& out) {
  reshape_view(inputs[0], out);
}

void Unflatten::eval_cpu(const std::vector<array>& inputs, array& out) {
  reshape_view(inputs[0], out);
}

void Squeeze::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  Strides strides;
  for (size_t i = 0, j = 0; i < in.ndim(); ++i) {
    if (j < axes_.size() && static_cast<int>(i) == axes_[j]) {
      ++j;
      continue;
    }
    strides.push_back(in.strides()[i]);
  }
  share_view(in, out, strides);
}

void ExpandDims::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  Strides strides(out.ndim());
  for (size_t i = 0, j = 0, k = 0; i < out.ndim(); ++i) {
    if (j < axes_.size() && static_cast<int>(i) == axes_[j]) {
      ++j;
      // A size-1 axis: use the stride a row-major layout would have.
      strides[i] = k < in.ndim() ? in.strides()[k] * in.shape(k) : 1;
    } else {
      strides[i] = in.strides()[k++];
    }
  }
  share_view(in, out, strides);
}

void Transpose::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  Strides strides(axes_.size());
  for (size_t i = 0; i < axes_.size(); ++i) {
    strides[i] = in.strides()[axes_[i]];
  }
  share_view(in, out, strides);
}

void Broadcast::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  const size_t diff = out.ndim() - in.ndim();
  Strides strides(out.ndim(), 0);
  for (size_t i = 0; i < in.ndim(); ++i) {
    strides[diff + i] = (in.shape(i) == 1 && out.shape(diff + i) != 1) ? 0 : in.strides()[i];
  }
  share_view(in, out, strides);
}

void AsStrided::eval_cpu(const std::vector<array>& inputs, array& out) {
  // The op made the input a flat view; strides and offset count its elements
  // in row-major order, and the op checked that they stay inside it.
  array in = cpu::row_major(inputs[0]);
  const auto l = cpu::layout_of(out.shape(), strides_);
  out.copy_shared_buffer(in, strides_, l.flags, l.data_size, static_cast<int64_t>(offset_));
}

void View::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& in = inputs[0];
  if (in.itemsize() == out.itemsize()) {
    // Same element size: the same layout reinterpreted.
    out.copy_shared_buffer(in, in.strides(), in.flags(), in.data_size());
    return;
  }
  // A row-major buffer whose start is aligned for the new element type (a
  // slice may start mid-element of the wider type).
  array dense = cpu::row_major(in);
  if (dense.offset() % static_cast<int64_t>(out.itemsize()) != 0) {
    dense = array(allocator::malloc(in.nbytes()), in.shape(), in.dtype());
    cpu::copy_strided(in, dense.data<void>(), in.dtype(), dense.strides());
  }
  const auto strides = cpu::row_major_strides(out.shape());
  const auto l = cpu::layout_of(out.shape(), strides);
  out.copy_shared_buffer(dense, strides, l.flags, l.data_size);
}

void StopGradient::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.copy_shared_buffer(inputs[0]);
}

}  // namespace mlxcpp
