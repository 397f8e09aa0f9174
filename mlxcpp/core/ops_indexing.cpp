// Indexing ops: gather, take, take_along_axis, scatter (and its reducing
// forms), put_along_axis, scatter_add_axis and masked_scatter. The ops check
// shapes and dtypes; index values are checked by the kernels at eval.
#include <numeric>
#include <set>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

using detail::invalid;
using detail::shape_str;

namespace {

// The common integer dtype of index arrays, or an error.
Dtype index_dtype(const char* op, const std::vector<array>& indices) {
  Dtype dtype = indices.empty() ? int32 : indices[0].dtype();
  for (const auto& idx : indices) {
    if (idx.dtype() == bool_) {
      invalid(op, "Boolean indices are not supported; use a mask op such as where.");
    }
    if (!issubdtype(idx.dtype(), integer)) {
      invalid(op, "Indices must be integers; got {}.", dtype_name(idx.dtype()));
    }
    dtype = promote_types(dtype, idx.dtype());
  }
  return dtype;
}

// Index arrays broadcast together and cast to their common dtype.
std::vector<array> prepare_indices(const char* op, const std::vector<array>& indices,
                                   StreamOrDevice s) {
  const Dtype dtype = index_dtype(op, indices);
  auto out = broadcast_arrays(indices, s);
  for (auto& idx : out) {
    idx = astype(idx, dtype, s);
  }
  return out;
}

// Validates the axes an op indexes: unique, in [0, ndim), one per index array.
void check_index_axes(const char* op, const std::vector<int>& axes, size_t n_indices, int ndim) {
  if (static_cast<int>(n_indices) > ndim) {
    invalid(op, "Too many index arrays: {} for an array with {} dimensions.", n_indices, ndim);
  }
  std::set<int> unique(axes.begin(), axes.end());
  if (unique.size() != axes.size()) {
    invalid(op, "Repeated axes are not allowed; got {}.", fmt::join(axes, ", "));
  }
  if (!unique.empty() && (*unique.begin() < 0 || *unique.rbegin() >= ndim)) {
    invalid(op, "Axes {} do not match an array with {} dimensions.", fmt::join(axes, ", "), ndim);
  }
  if (n_indices != axes.size()) {
    invalid(op, "Got {} index arrays for {} axes.", n_indices, axes.size());
  }
}

// Arrays of equal ndim broadcast against each other in every dimension but `axis`,
// where each keeps its own size.
std::vector<array> broadcast_except_axis(const std::vector<array>& arrays, int axis,
                                         StreamOrDevice s) {
  Shape common(arrays[0].ndim(), 1);
  for (const auto& a : arrays) {
    Shape shape = a.shape();
    shape[axis] = 1;
    common = broadcast_shapes(common, shape);
  }
  std::vector<array> out;
  for (const auto& a : arrays) {
    Shape target = common;
    target[axis] = a.shape(axis);
    out.push_back(a.shape() == target ? a : broadcast_to(a, target, s));
  }
  return out;
}

array scatter_impl(const char* op, const array& a, const std::vector<array>& indices,
                   const array& updates, const std::vector<int>& axes, Scatter::ReduceType mode,
                   StreamOrDevice s) {
  check_index_axes(op, axes, indices.size(), static_cast<int>(a.ndim()));
  auto inputs = prepare_indices(op, indices, s);
  const Shape idx_shape = inputs.empty() ? Shape{} : inputs[0].shape();
  if (updates.ndim() != a.ndim() + idx_shape.size()) {
    invalid(op,
            "Updates with {} dimensions do not match the array ({}) plus the indices ({}) "
            "dimensions.",
            updates.ndim(), a.ndim(), idx_shape.size());
  }
  for (size_t i = 0; i < idx_shape.size(); ++i) {
    if (updates.shape(i) != idx_shape[i]) {
      invalid(op, "Updates of shape {} do not fit the broadcast index shape {}.",
              shape_str(updates.shape()), shape_str(idx_shape));
    }
  }
  for (size_t i = 0; i < a.ndim(); ++i) {
    if (updates.shape(i + idx_shape.size()) > a.shape(i)) {
      invalid(op, "Updates of shape {} are too large for an array of shape {}.",
              shape_str(updates.shape()), shape_str(a.shape()));
    }
  }
  inputs.insert(inputs.begin(), a);
  inputs.push_back(astype(updates, a.dtype(), s));
  return array(a.shape(), a.dtype(), std::make_shared<Scatter>(to_stream(s), mode, axes),
               std::move(inputs));
}

array scatter_axis_impl(const char* op, const array& a, const array& indices, const array& values,
                        int axis, ScatterAxis::ReduceType mode, StreamOrDevice s) {
  const int ax = detail::normalize_axis(op, axis, static_cast<int>(a.ndim()));
  if (indices.ndim() != a.ndim()) {
    invalid(op, "Indices with {} dimensions do not match an array with {}.", indices.ndim(),
            a.ndim());
  }
  index_dtype(op, {indices});
  if (a.size() == 0) {
    return a;
  }
  array upd = astype(values, a.dtype(), s);
  if (upd.ndim() > indices.ndim()) {
    std::vector<int> leading(upd.ndim() - indices.ndim());
    std::iota(leading.begin(), leading.end(), 0);
    for (int d : leading) {
      if (upd.shape(d) != 1) {
        invalid(op, "Values of shape {} have more dimensions than the indices {}.",
                shape_str(values.shape()), shape_str(indices.shape()));
      }
    }
    upd = squeeze(upd, leading, s);
  }
  auto pair = broadcast_arrays({indices, upd}, s);
  auto inputs = broadcast_except_axis({a, pair[0], pair[1]}, ax, s);
  Shape out_shape = inputs[0].shape();
  return array(std::move(out_shape), a.dtype(),
               std::make_shared<ScatterAxis>(to_stream(s), mode, ax), std::move(inputs));
}

}  // namespace

// ------------------------------------------------------------------- gather

array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes, StreamOrDevice s) {
  check_index_axes("gather", axes, indices.size(), static_cast<int>(a.ndim()));
  if (slice_sizes.size() != a.ndim()) {
    invalid("gather", "Got {} slice sizes for an array with {} dimensions.", slice_sizes.size(),
            a.ndim());
  }
  auto inputs = prepare_indices("gather", indices, s);
  for (size_t i = 0; i < a.ndim(); ++i) {
    if (slice_sizes[i] < 0 || slice_sizes[i] > a.shape(i)) {
      invalid("gather", "Slice sizes must be in [0, a.shape(i)]; got {} for an array of shape {}.",
              shape_str(slice_sizes), shape_str(a.shape()));
    }
  }
  Shape out_shape = inputs.empty() ? Shape{} : inputs[0].shape();
  out_shape.insert(out_shape.end(), slice_sizes.begin(), slice_sizes.end());
  inputs.insert(inputs.begin(), a);
  return array(std::move(out_shape), a.dtype(),
               std::make_shared<Gather>(to_stream(s), axes, slice_sizes), std::move(inputs));
}

array take(const array& a, const array& indices, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("take", axis, static_cast<int>(a.ndim()));
  if (a.shape(ax) == 0 && indices.size() != 0) {
    invalid("take", "Cannot take from axis {} of size 0.", ax);
  }
  Shape slice_sizes = a.shape();
  slice_sizes[ax] = 1;
  array out = gather(a, {indices}, std::vector<int>{ax}, slice_sizes, s);
  // The gather gives [indices..., slice...]; move the index dimensions to the axis.
  const int idx_ndim = static_cast<int>(indices.ndim());
  if (ax != 0) {
    std::vector<int> perm(out.ndim());
    std::iota(perm.begin(), perm.begin() + ax, idx_ndim);
    std::iota(perm.begin() + ax, perm.begin() + ax + idx_ndim, 0);
    std::iota(perm.begin() + ax + idx_ndim, perm.end(), idx_ndim + ax);
    out = transpose(out, perm, s);
  }
  return squeeze(out, idx_ndim + ax, s);
}

array take(const array& a, const array& indices, StreamOrDevice s) {
  return take(flatten(a, s), indices, 0, s);
}

array take(const array& a, int index, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("take", axis, static_cast<int>(a.ndim()));
  const int n = a.shape(ax);
  if (index < -n || index >= n) {
    invalid("take", "Index {} is out of bounds for axis {} with size {}.", index, ax, n);
  }
  const int start = index < 0 ? index + n : index;
  Shape starts(a.ndim(), 0);
  Shape stops = a.shape();
  starts[ax] = start;
  stops[ax] = start + 1;
  return squeeze(slice(a, starts, stops, s), ax, s);
}

array take(const array& a, int index, StreamOrDevice s) {
  return take(flatten(a, s), index, 0, s);
}

array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("take_along_axis", axis, static_cast<int>(a.ndim()));
  if (indices.ndim() != a.ndim()) {
    invalid("take_along_axis", "Indices with {} dimensions do not match an array with {}.",
            indices.ndim(), a.ndim());
  }
  index_dtype("take_along_axis", {indices});
  auto inputs = broadcast_except_axis({a, indices}, ax, s);
  Shape out_shape = inputs[1].shape();
  return array(std::move(out_shape), a.dtype(), std::make_shared<GatherAxis>(to_stream(s), ax),
               std::move(inputs));
}

// ------------------------------------------------------------------ scatter

array scatter(const array& a, const std::vector<array>& indices, const array& updates,
              const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl("scatter", a, indices, updates, axes, Scatter::None, s);
}
array scatter_add(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl("scatter_add", a, indices, updates, axes, Scatter::Sum, s);
}
array scatter_prod(const array& a, const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl("scatter_prod", a, indices, updates, axes, Scatter::Prod, s);
}
array scatter_max(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl("scatter_max", a, indices, updates, axes, Scatter::Max, s);
}
array scatter_min(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_impl("scatter_min", a, indices, updates, axes, Scatter::Min, s);
}

array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s) {
  return scatter_axis_impl("put_along_axis", a, indices, values, axis, ScatterAxis::None, s);
}

array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s) {
  return scatter_axis_impl("scatter_add_axis", a, indices, values, axis, ScatterAxis::Sum, s);
}

array masked_scatter(const array& a, const array& mask, const array& src, StreamOrDevice s) {
  if (mask.dtype() != bool_) {
    invalid("masked_scatter", "The mask must be boolean; got {}.", dtype_name(mask.dtype()));
  }
  if (mask.ndim() > a.ndim() ||
      !std::equal(mask.shape().begin(), mask.shape().end(), a.shape().begin())) {
    invalid("masked_scatter",
            "The mask's shape {} must equal the leading dimensions of the array's shape {}.",
            shape_str(mask.shape()), shape_str(a.shape()));
  }
  // A mask over the leading dimensions selects whole blocks of the trailing ones.
  const size_t trailing = a.ndim() - mask.ndim();
  Shape mask_shape = mask.shape();
  mask_shape.resize(a.ndim(), 1);
  const array full_mask = broadcast_to(reshape(mask, mask_shape, s), a.shape(), s);
  // The values are [count, trailing dims...]; fewer dimensions broadcast to one value per
  // mask entry (so a scalar fills every selected position).
  if (src.ndim() > trailing + 1) {
    invalid("masked_scatter",
            "Values of shape {} must broadcast with the last {} dimensions of {}.",
            shape_str(src.shape()), trailing, shape_str(a.shape()));
  }
  Shape value_shape(trailing + 1, 1);
  std::copy(src.shape().begin(), src.shape().end(), value_shape.end() - src.ndim());
  array values = reshape(astype(src, a.dtype(), s), value_shape, s);
  if (src.ndim() < trailing + 1) {
    value_shape[0] = static_cast<ShapeElem>(mask.size());
  }
  std::copy(a.shape().end() - trailing, a.shape().end(), value_shape.begin() + 1);
  values = broadcast_to(values, value_shape, s);
  return array(a.shape(), a.dtype(), std::make_shared<MaskedScatter>(to_stream(s)),
               {a, full_mask, values});
}

}  // namespace mlxcpp
