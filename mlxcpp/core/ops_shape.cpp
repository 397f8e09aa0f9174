// Shape and layout ops: reshape, flatten, squeeze, slice, concatenate,
// split, pad, transpose, broadcast, roll, diagonal, view, ...
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <set>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

using detail::invalid;
using detail::shape_str;

namespace {

// `shape` with its one -1 entry (if any) resolved so that it holds `total`
// elements; every other entry must be non-negative and the product must match.
Shape infer_shape(const char* op, Shape shape, int64_t total) {
  int infer = -1;
  __int128 known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) {
        invalid(op, "Can only infer one dimension; got shape {}.", shape_str(shape));
      }
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      invalid(op, "Dimensions must be non-negative or -1; got shape {}.", shape_str(shape));
    } else {
      known *= shape[i];
      if (known > total && total > 0) {
        known = static_cast<__int128>(total) + 1;  // a mismatch; keep it from overflowing
      }
    }
  }
  if (infer >= 0) {
    if (known == 0) {
      invalid(op, "Cannot infer a dimension of an empty array; got shape {}.", shape_str(shape));
    }
    shape[infer] = detail::checked_dim(op, static_cast<int64_t>(total / known));
    known *= shape[infer];
  }
  if (known != total) {
    invalid(op, "Cannot reshape {} elements into shape {}.", total, shape_str(shape));
  }
  return shape;
}

}  // namespace

Shape Reshape::output_shape(const array& a, Shape shape) {
  return infer_shape("reshape", std::move(shape), static_cast<int64_t>(a.size()));
}

array reshape(const array& a, Shape shape, StreamOrDevice s) {
  if (a.shape() == shape) {
    return a;
  }
  auto out_shape = Reshape::output_shape(a, shape);
  if (out_shape == a.shape()) {
    return a;
  }
  return array(out_shape, a.dtype(), std::make_shared<Reshape>(to_stream(s), out_shape), {a});
}

array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s) {
  if (shape.empty()) {
    invalid("unflatten", "The shape to unflatten to cannot be empty.");
  }
  const int ax = detail::normalize_axis("unflatten", axis, static_cast<int>(a.ndim()));
  shape = infer_shape("unflatten", std::move(shape), a.shape(ax));
  if (shape.size() == 1) {
    return a;
  }
  auto out_shape = Unflatten::output_shape(a, ax, shape);
  return array(std::move(out_shape), a.dtype(),
               std::make_shared<Unflatten>(to_stream(s), ax, std::move(shape)), {a});
}

array flatten(const array& a, int start_axis, int end_axis, StreamOrDevice s) {
  const int ndim = static_cast<int>(a.ndim());
  if (ndim == 0) {
    return reshape(a, {1}, s);
  }
  int start = start_axis + (start_axis < 0 ? ndim : 0);
  int end = end_axis + (end_axis < 0 ? ndim : 0);
  start = std::max(0, start);
  end = std::min(ndim - 1, end);
  if (start >= ndim) {
    invalid("flatten", "Invalid start_axis {} for an array with {} dimensions.", start_axis, ndim);
  }
  if (end < 0) {
    invalid("flatten", "Invalid end_axis {} for an array with {} dimensions.", end_axis, ndim);
  }
  if (end < start) {
    invalid("flatten", "start_axis must be less than or equal to end_axis; got {} and {}.",
            start_axis, end_axis);
  }
  if (start == end) {
    return a;
  }
  int64_t flat = 1;
  for (int i = start; i <= end; ++i) {
    flat *= a.shape(i);
  }
  detail::checked_dim("flatten", flat);
  return array(Flatten::output_shape(a, start, end), a.dtype(),
               std::make_shared<Flatten>(to_stream(s), start, end), {a});
}

array flatten(const array& a, StreamOrDevice s) {
  return flatten(a, 0, static_cast<int>(a.ndim()) - 1, s);
}

namespace {

array squeeze_impl(const array& a, std::vector<int> axes, StreamOrDevice s) {
  auto shape = Squeeze::output_shape(a, axes);
  return array(std::move(shape), a.dtype(),
               std::make_shared<Squeeze>(to_stream(s), std::move(axes)), {a});
}

std::vector<int> squeeze_axes(const array& a, const std::vector<int>& axes) {
  std::set<int> unique;
  for (int ax : axes) {
    const int n = detail::normalize_axis("squeeze", ax, static_cast<int>(a.ndim()));
    if (a.shape(n) != 1) {
      invalid("squeeze", "Cannot squeeze axis {} with size {}; expected size 1.", ax, a.shape(n));
    }
    unique.insert(n);
  }
  if (unique.size() != axes.size()) {
    invalid("squeeze", "Received duplicate axes.");
  }
  return {unique.begin(), unique.end()};
}

}  // namespace

array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  return squeeze_impl(a, squeeze_axes(a, axes), s);
}

array squeeze(const array& a, int axis, StreamOrDevice s) {
  return squeeze_impl(a, squeeze_axes(a, {axis}), s);
}

array squeeze(const array& a, StreamOrDevice s) {
  std::vector<int> axes;
  for (size_t i = 0; i < a.ndim(); ++i) {
    if (a.shape(static_cast<int>(i)) == 1) {
      axes.push_back(static_cast<int>(i));
    }
  }
  if (axes.empty()) {
    return a;
  }
  return squeeze_impl(a, std::move(axes), s);
}

array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  const int out_ndim = static_cast<int>(a.ndim() + axes.size());
  std::set<int> unique;
  for (int ax : axes) {
    unique.insert(detail::normalize_axis("expand_dims", ax, out_ndim));
  }
  if (unique.size() != axes.size()) {
    invalid("expand_dims", "Received duplicate axes.");
  }
  std::vector<int> sorted(unique.begin(), unique.end());
  auto shape = ExpandDims::output_shape(a, sorted);
  return array(std::move(shape), a.dtype(),
               std::make_shared<ExpandDims>(to_stream(s), std::move(sorted)), {a});
}

array expand_dims(const array& a, int axis, StreamOrDevice s) {
  return expand_dims(a, std::vector<int>{axis}, s);
}

array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  const int ndim = static_cast<int>(a.ndim());
  Shape start(ndim, 0);
  Shape stop = a.shape();
  Shape strides(ndim, 1);
  for (int ax : axes) {
    const int axis = detail::normalize_axis("flip", ax, ndim);
    start[axis] = a.shape(axis) - 1;
    stop[axis] = -a.shape(axis) - 1;
    strides[axis] = -1;
  }
  return slice(a, std::move(start), std::move(stop), std::move(strides), s);
}

array flip(const array& a, int axis, StreamOrDevice s) {
  return flip(a, std::vector<int>{axis}, s);
}

array flip(const array& a, StreamOrDevice s) {
  return flip(a, detail::all_axes(static_cast<int>(a.ndim())), s);
}

// ------------------------------------------------------------------ slices

namespace {

// NumPy's slice rules: negative start/stop count from the end, both are
// clamped to the axis, negative steps walk backwards. Normalizes start and
// strides in place and returns whether any step is negative and the shape.
std::pair<bool, Shape> normalize_slice(const char* op, const Shape& shape, Shape& start,
                                       const Shape& stop, Shape& strides) {
  Shape out(shape.size());
  bool negative = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (strides[i] == 0) {
      invalid(op, "Slice steps must be nonzero; got a step of 0 on axis {}.", i);
    }
    const int64_t n = shape[i];
    int64_t st = start[i];
    int64_t ed = stop[i];
    st = st < 0 ? st + n : st;
    ed = ed < 0 ? ed + n : ed;
    const int64_t step = strides[i];
    int64_t len;
    if (step < 0) {
      negative = true;
      st = std::min(st, n - 1);
      ed = std::max<int64_t>(ed, -1);
      ed = std::min(ed, st);
      len = (st - ed + (-step) - 1) / (-step);
    } else {
      st = std::clamp<int64_t>(st, 0, n);
      ed = std::clamp<int64_t>(ed, 0, n);
      ed = std::max(ed, st);
      len = (ed - st + step - 1) / step;
    }
    if (len <= 0) {
      len = 0;
      st = 0;
    }
    start[i] = static_cast<ShapeElem>(st);
    out[i] = static_cast<ShapeElem>(len);
    if (len == 1) {
      strides[i] = 1;
    }
  }
  return {negative, out};
}

void check_slice_args(const char* op, size_t ndim, const Shape& start, const Shape& stop,
                      const Shape& strides) {
  if (start.size() != ndim || stop.size() != ndim || strides.size() != ndim) {
    invalid(op, "Expected one start, stop and stride per dimension ({}); got {}, {} and {}.", ndim,
            start.size(), stop.size(), strides.size());
  }
}

void check_dynamic_slice_args(const char* op, const array& a, const array& start,
                              std::vector<int>& axes) {
  if (start.ndim() > 1) {
    invalid(op, "Start indices must be 0-D or 1-D; got {} dimensions.", start.ndim());
  }
  if (start.size() != axes.size()) {
    invalid(op, "Expected one start index per axis ({}); got {}.", axes.size(), start.size());
  }
  if (!issubdtype(start.dtype(), integer)) {
    invalid(op, "Start indices must be integers; got {}.", dtype_name(start.dtype()));
  }
  for (auto& ax : axes) {
    ax = detail::normalize_axis(op, ax, static_cast<int>(a.ndim()));
  }
  std::set<int> unique(axes.begin(), axes.end());
  if (unique.size() != axes.size()) {
    invalid(op, "Repeated axes are not allowed.");
  }
}

array slice_update_impl(const array& src, const array& update, Shape start, Shape stop,
                        Shape strides, SliceUpdate::ReduceType mode, StreamOrDevice s) {
  check_slice_args("slice_update", src.ndim(), start, stop, strides);
  auto [negative, upd_shape] = normalize_slice("slice_update", src.shape(), start, stop, strides);
  auto upd = broadcast_to(astype(update, src.dtype(), s), upd_shape, s);
  if (!negative && upd_shape == src.shape()) {
    switch (mode) {
      case SliceUpdate::None:
        return upd;
      case SliceUpdate::Sum:
        return add(src, upd, s);
      case SliceUpdate::Prod:
        return multiply(src, upd, s);
      case SliceUpdate::Max:
        return maximum(src, upd, s);
      case SliceUpdate::Min:
        return minimum(src, upd, s);
    }
  }
  return array(src.shape(), src.dtype(),
               std::make_shared<SliceUpdate>(to_stream(s), mode, std::move(start), std::move(stop),
                                             std::move(strides)),
               {src, upd});
}

}  // namespace

array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s) {
  check_slice_args("slice", a.ndim(), start, stop, strides);
  auto [negative, out_shape] = normalize_slice("slice", a.shape(), start, stop, strides);
  if (!negative && out_shape == a.shape()) {
    return a;
  }
  return array(
      out_shape, a.dtype(),
      std::make_shared<Slice>(to_stream(s), std::move(start), std::move(stop), std::move(strides)),
      {a});
}

array slice(const array& a, Shape start, Shape stop, StreamOrDevice s) {
  return slice(a, std::move(start), std::move(stop), Shape(a.ndim(), 1), s);
}

array slice(const array& a, const array& start, std::vector<int> axes, Shape slice_size,
            StreamOrDevice s) {
  check_dynamic_slice_args("slice", a, start, axes);
  if (slice_size.size() != a.ndim()) {
    invalid("slice", "Expected one slice size per dimension ({}); got {}.", a.ndim(),
            slice_size.size());
  }
  for (size_t i = 0; i < a.ndim(); ++i) {
    if (slice_size[i] < 0 || slice_size[i] > a.shape(static_cast<int>(i))) {
      invalid("slice", "Invalid slice size {} for an array with shape {}.", shape_str(slice_size),
              shape_str(a.shape()));
    }
  }
  auto out_shape = slice_size;
  return array(std::move(out_shape), a.dtype(),
               std::make_shared<DynamicSlice>(to_stream(s), std::move(axes), std::move(slice_size)),
               {a, start});
}

array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s) {
  return slice_update_impl(src, update, std::move(start), std::move(stop), std::move(strides),
                           SliceUpdate::None, s);
}

array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s) {
  return slice_update(src, update, std::move(start), std::move(stop), Shape(src.ndim(), 1), s);
}

array slice_update(const array& src, const array& update, const array& start, std::vector<int> axes,
                   StreamOrDevice s) {
  check_dynamic_slice_args("slice_update", src, start, axes);
  if (update.ndim() > src.ndim()) {
    invalid("slice_update", "The update has more dimensions ({}) than the array ({}).",
            update.ndim(), src.ndim());
  }
  // Leading axes the update lacks are sliced to size 1 along the given axes and
  // to the full extent elsewhere, then broadcast.
  auto up_shape = update.shape();
  const size_t diff = src.ndim() - update.ndim();
  up_shape.insert(up_shape.begin(), src.shape().begin(), src.shape().begin() + diff);
  for (size_t d = diff; d < src.ndim(); ++d) {
    if (up_shape[d] > src.shape(static_cast<int>(d))) {
      invalid("slice_update", "The update of shape {} does not fit in the array of shape {}.",
              shape_str(update.shape()), shape_str(src.shape()));
    }
  }
  for (int ax : axes) {
    if (static_cast<size_t>(ax) < diff) {
      up_shape[ax] = 1;
    }
  }
  auto upd = broadcast_to(astype(update, src.dtype(), s), up_shape, s);
  return array(src.shape(), src.dtype(),
               std::make_shared<DynamicSliceUpdate>(to_stream(s), std::move(axes)),
               {src, upd, start});
}

#define MLXCPP_SLICE_UPDATE_REDUCE(FN, MODE)                                                     \
  array FN(const array& src, const array& update, Shape start, Shape stop, Shape strides,        \
           StreamOrDevice s) {                                                                   \
    return slice_update_impl(src, update, std::move(start), std::move(stop), std::move(strides), \
                             SliceUpdate::MODE, s);                                              \
  }                                                                                              \
  array FN(const array& src, const array& update, Shape start, Shape stop, StreamOrDevice s) {   \
    return FN(src, update, std::move(start), std::move(stop), Shape(src.ndim(), 1), s);          \
  }
MLXCPP_SLICE_UPDATE_REDUCE(slice_update_add, Sum)
MLXCPP_SLICE_UPDATE_REDUCE(slice_update_prod, Prod)
MLXCPP_SLICE_UPDATE_REDUCE(slice_update_max, Max)
MLXCPP_SLICE_UPDATE_REDUCE(slice_update_min, Min)
#undef MLXCPP_SLICE_UPDATE_REDUCE

// ---------------------------------------------------------- split and join

std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("split", axis, static_cast<int>(a.ndim()));
  if (indices.empty()) {
    return {a};
  }
  const int n = a.shape(ax);
  // Sorted in-range indices become one multi-output view primitive.
  if (indices.size() < 10 && std::is_sorted(indices.begin(), indices.end()) && indices[0] > 0 &&
      indices.back() < n) {
    std::vector<Dtype> dtypes(indices.size() + 1, a.dtype());
    std::vector<Shape> shapes(indices.size() + 1, a.shape());
    shapes[0][ax] = indices[0];
    for (size_t i = 1; i < indices.size(); ++i) {
      shapes[i][ax] = indices[i] - indices[i - 1];
    }
    shapes.back()[ax] = n - indices.back();
    return array::make_arrays(std::move(shapes), dtypes,
                              std::make_shared<Split>(to_stream(s), indices, ax), {a});
  }
  std::vector<array> parts;
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  for (size_t i = 0; i <= indices.size(); ++i) {
    stop[ax] = i < indices.size() ? indices[i] : n;
    parts.push_back(slice(a, start, stop, s));
    start[ax] = stop[ax];
  }
  return parts;
}

std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s) {
  return split(a, indices, 0, s);
}

std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("split", axis, static_cast<int>(a.ndim()));
  if (num_splits <= 0) {
    invalid("split", "num_splits must be positive; got {}.", num_splits);
  }
  const int n = a.shape(ax);
  if (n % num_splits != 0) {
    invalid("split", "Splitting axis {} of size {} into {} parts does not give equal parts.", axis,
            n, num_splits);
  }
  const int part = n / num_splits;
  Shape indices(num_splits - 1);
  for (size_t i = 0; i < indices.size(); ++i) {
    indices[i] = static_cast<ShapeElem>((i + 1) * part);
  }
  return split(a, indices, ax, s);
}

std::vector<array> split(const array& a, int num_splits, StreamOrDevice s) {
  return split(a, num_splits, 0, s);
}

std::vector<array> unstack(const array& a, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("unstack", axis, static_cast<int>(a.ndim()));
  std::vector<array> out;
  const int n = a.shape(ax);
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  for (int i = 0; i < n; ++i) {
    start[ax] = i;
    stop[ax] = i + 1;
    out.push_back(squeeze(slice(a, start, stop, s), ax, s));
  }
  return out;
}

std::vector<array> unstack(const array& a, StreamOrDevice s) {
  return unstack(a, 0, s);
}

array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) {
    invalid("concatenate", "No arrays provided for concatenation.");
  }
  if (arrays.size() == 1) {
    return arrays[0];
  }
  const int ax = detail::normalize_axis("concatenate", axis, static_cast<int>(arrays[0].ndim()));
  auto shape = arrays[0].shape();
  int64_t total = 0;
  for (const auto& a : arrays) {
    if (a.ndim() != shape.size()) {
      invalid("concatenate", "All arrays must have the same number of dimensions; got {} and {}.",
              shape.size(), a.ndim());
    }
    for (size_t i = 0; i < a.ndim(); ++i) {
      if (static_cast<int>(i) != ax && a.shape(static_cast<int>(i)) != shape[i]) {
        invalid("concatenate",
                "All dimensions except the concatenation axis {} must match; got shapes {} and "
                "{}.",
                axis, shape_str(shape), shape_str(a.shape()));
      }
    }
    total += a.shape(ax);
  }
  shape[ax] = detail::checked_dim("concatenate", total);
  const Dtype dtype = result_type(arrays);
  for (auto& a : arrays) {
    a = astype(a, dtype, s);
  }
  return array(std::move(shape), dtype, std::make_shared<Concatenate>(to_stream(s), ax),
               std::move(arrays));
}

array concatenate(std::vector<array> arrays, StreamOrDevice s) {
  for (auto& a : arrays) {
    a = flatten(a, s);
  }
  return concatenate(std::move(arrays), 0, s);
}

array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) {
    invalid("stack", "No arrays provided for stacking.");
  }
  for (const auto& a : arrays) {
    if (a.shape() != arrays[0].shape()) {
      invalid("stack", "All arrays must have the same shape; got {} and {}.",
              shape_str(arrays[0].shape()), shape_str(a.shape()));
    }
  }
  const int ax = detail::normalize_axis("stack", axis, static_cast<int>(arrays[0].ndim()) + 1);
  std::vector<array> expanded;
  expanded.reserve(arrays.size());
  for (const auto& a : arrays) {
    expanded.push_back(expand_dims(a, ax, s));
  }
  return concatenate(std::move(expanded), ax, s);
}

array stack(const std::vector<array>& arrays, StreamOrDevice s) {
  return stack(arrays, 0, s);
}

array repeat(const array& arr, int repeats, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("repeat", axis, static_cast<int>(arr.ndim()));
  if (repeats < 0) {
    invalid("repeat", "The number of repeats cannot be negative; got {}.", repeats);
  }
  if (repeats == 1) {
    return arr;
  }
  auto shape = arr.shape();
  shape.insert(shape.begin() + ax + 1, repeats);
  array out = broadcast_to(expand_dims(arr, ax + 1, s), shape, s);
  shape.erase(shape.begin() + ax + 1);
  shape[ax] = detail::checked_dim("repeat", static_cast<int64_t>(shape[ax]) * repeats);
  return reshape(out, std::move(shape), s);
}

array repeat(const array& arr, int repeats, StreamOrDevice s) {
  return repeat(flatten(arr, s), repeats, 0, s);
}

array tile(const array& arr, std::vector<int> reps, StreamOrDevice s) {
  auto shape = arr.shape();
  for (int r : reps) {
    if (r < 0) {
      invalid("tile", "Repetitions must be non-negative; got {}.", fmt::join(reps, ", "));
    }
  }
  if (reps.size() < shape.size()) {
    reps.insert(reps.begin(), shape.size() - reps.size(), 1);
  }
  if (reps.size() > shape.size()) {
    shape.insert(shape.begin(), reps.size() - shape.size(), 1);
  }
  Shape expand_shape;
  Shape broad_shape;
  Shape final_shape;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (reps[i] != 1) {
      expand_shape.push_back(1);
      broad_shape.push_back(reps[i]);
    }
    expand_shape.push_back(shape[i]);
    broad_shape.push_back(shape[i]);
    final_shape.push_back(detail::checked_dim("tile", static_cast<int64_t>(reps[i]) * shape[i]));
  }
  auto x = reshape(arr, std::move(expand_shape), s);
  x = broadcast_to(x, broad_shape, s);
  return reshape(x, std::move(final_shape), s);
}

// -------------------------------------------------------------- transposes

array transpose(const array& a, std::vector<int> axes, StreamOrDevice s) {
  const int ndim = static_cast<int>(a.ndim());
  if (static_cast<int>(axes.size()) != ndim) {
    invalid("transpose", "Expected {} axes for an array with {} dimensions; got {}.", ndim, ndim,
            axes.size());
  }
  std::vector<bool> seen(ndim, false);
  for (auto& ax : axes) {
    ax = detail::normalize_axis("transpose", ax, ndim);
    if (seen[ax]) {
      invalid("transpose", "Repeated axes are not allowed.");
    }
    seen[ax] = true;
  }
  Shape shape(ndim);
  for (int i = 0; i < ndim; ++i) {
    shape[i] = a.shape(axes[i]);
  }
  return array(std::move(shape), a.dtype(),
               std::make_shared<Transpose>(to_stream(s), std::move(axes)), {a});
}

array transpose(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.rbegin(), axes.rend(), 0);
  return transpose(a, std::move(axes), s);
}

array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s) {
  const int ndim = static_cast<int>(a.ndim());
  const int a1 = detail::normalize_axis("swapaxes", axis1, ndim);
  const int a2 = detail::normalize_axis("swapaxes", axis2, ndim);
  auto axes = detail::all_axes(ndim);
  std::swap(axes[a1], axes[a2]);
  return transpose(a, std::move(axes), s);
}

array moveaxis(const array& a, int source, int destination, StreamOrDevice s) {
  const int ndim = static_cast<int>(a.ndim());
  const int src = detail::normalize_axis("moveaxis", source, ndim);
  const int dst = detail::normalize_axis("moveaxis", destination, ndim);
  if (src == dst) {
    return a;
  }
  auto axes = detail::all_axes(ndim);
  axes.erase(axes.begin() + src);
  axes.insert(axes.begin() + dst, src);
  return transpose(a, std::move(axes), s);
}

// --------------------------------------------------------------------- pad

namespace {

array edge_pad(const array& a, const std::vector<int>& axes, const Shape& low, const Shape& high,
               const Shape& out_shape, StreamOrDevice s) {
  array padded = zeros(out_shape, a.dtype(), s);
  Shape starts(a.ndim(), 0);
  Shape stops = a.shape();
  for (size_t i = 0; i < axes.size(); ++i) {
    starts[axes[i]] = low[i];
    stops[axes[i]] += low[i];
  }
  padded = slice_update(padded, a, starts, stops, s);
  for (size_t i = 0; i < axes.size(); ++i) {
    const int ax = axes[i];
    if (a.shape(ax) == 0 && (low[i] > 0 || high[i] > 0)) {
      invalid("pad", "Cannot pad the empty axis {} with mode 'edge'.", ax);
    }
    if (low[i] > 0) {
      Shape st(a.ndim(), 0);
      Shape sp = out_shape;
      st[ax] = low[i];
      sp[ax] = low[i] + 1;
      array edge = slice(padded, st, sp, s);
      st[ax] = 0;
      sp[ax] = low[i];
      padded = slice_update(padded, edge, st, sp, s);
    }
    if (high[i] > 0) {
      Shape st(a.ndim(), 0);
      Shape sp = out_shape;
      st[ax] = out_shape[ax] - high[i] - 1;
      sp[ax] = out_shape[ax] - high[i];
      array edge = slice(padded, st, sp, s);
      st[ax] = out_shape[ax] - high[i];
      sp[ax] = out_shape[ax];
      padded = slice_update(padded, edge, st, sp, s);
    }
  }
  return padded;
}

// reflect mirrors around the edge value (period 2(n-1)); symmetric repeats it (period 2n).
array reflect_pad(const array& a, const std::vector<int>& axes, const Shape& low, const Shape& high,
                  const Shape& out_shape, bool symmetric, StreamOrDevice s) {
  array padded = zeros(out_shape, a.dtype(), s);
  Shape starts(a.ndim(), 0);
  Shape stops = a.shape();
  for (size_t i = 0; i < axes.size(); ++i) {
    starts[axes[i]] = low[i];
    stops[axes[i]] += low[i];
  }
  padded = slice_update(padded, a, starts, stops, s);
  for (size_t i = 0; i < axes.size(); ++i) {
    const int ax = axes[i];
    const int n = a.shape(ax);
    if (low[i] == 0 && high[i] == 0) {
      continue;
    }
    if (n == 0) {
      invalid("pad", "Cannot pad the empty axis {} with mode '{}'.", ax,
              symmetric ? "symmetric" : "reflect");
    }
    const int offset = (!symmetric && n > 1) ? 1 : 0;
    const int tile = n - offset;
    int filled = low[i];
    for (int remaining = low[i]; remaining > 0;) {
      const int chunk = std::min(remaining, tile);
      Shape st(a.ndim(), 0), sp = out_shape;
      st[ax] = filled + offset;
      sp[ax] = filled + offset + chunk;
      array piece = flip(slice(padded, st, sp, s), ax, s);
      st[ax] = filled - chunk;
      sp[ax] = filled;
      padded = slice_update(padded, piece, st, sp, s);
      filled -= chunk;
      remaining -= chunk;
    }
    int end = low[i] + n;
    for (int remaining = high[i]; remaining > 0;) {
      const int chunk = std::min(remaining, tile);
      Shape st(a.ndim(), 0), sp = out_shape;
      st[ax] = end - offset - chunk;
      sp[ax] = end - offset;
      array piece = flip(slice(padded, st, sp, s), ax, s);
      st[ax] = end;
      sp[ax] = end + chunk;
      padded = slice_update(padded, piece, st, sp, s);
      end += chunk;
      remaining -= chunk;
    }
  }
  return padded;
}

}  // namespace

array pad(const array& a, const std::vector<int>& axes_in, const Shape& low_pad_size,
          const Shape& high_pad_size, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  if (axes_in.size() != low_pad_size.size() || axes_in.size() != high_pad_size.size()) {
    invalid("pad", "Expected one low and one high padding size per axis ({}); got {} and {}.",
            axes_in.size(), low_pad_size.size(), high_pad_size.size());
  }
  std::vector<int> axes;
  std::set<int> unique;
  for (int ax : axes_in) {
    axes.push_back(detail::normalize_axis("pad", ax, static_cast<int>(a.ndim())));
    if (!unique.insert(axes.back()).second) {
      invalid("pad", "Repeated axes are not allowed.");
    }
  }
  auto out_shape = a.shape();
  for (size_t i = 0; i < axes.size(); ++i) {
    if (low_pad_size[i] < 0 || high_pad_size[i] < 0) {
      invalid("pad", "Padding sizes must be non-negative; got ({}, {}) for axis {}.",
              low_pad_size[i], high_pad_size[i], axes_in[i]);
    }
    out_shape[axes[i]] = detail::checked_dim(
        "pad", static_cast<int64_t>(out_shape[axes[i]]) + low_pad_size[i] + high_pad_size[i]);
  }
  if (mode == "constant") {
    if (pad_value.size() != 1) {
      invalid("pad", "The pad value must be a single value; got an array of size {}.",
              pad_value.size());
    }
    return array(std::move(out_shape), a.dtype(),
                 std::make_shared<Pad>(to_stream(s), axes, low_pad_size, high_pad_size),
                 {a, astype(reshape(pad_value, {}, s), a.dtype(), s)});
  }
  if (mode == "edge") {
    return edge_pad(a, axes, low_pad_size, high_pad_size, out_shape, s);
  }
  if (mode == "reflect" || mode == "symmetric") {
    return reflect_pad(a, axes, low_pad_size, high_pad_size, out_shape, mode == "symmetric", s);
  }
  invalid("pad", "Invalid padding mode; expected constant, edge, reflect or symmetric, got '{}'.",
          mode);
}

array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  if (pad_width.size() != a.ndim()) {
    invalid("pad", "Expected one (low, high) pair per dimension ({}); got {}.", a.ndim(),
            pad_width.size());
  }
  Shape lows;
  Shape highs;
  for (const auto& p : pad_width) {
    lows.push_back(p.first);
    highs.push_back(p.second);
  }
  return pad(a, detail::all_axes(static_cast<int>(a.ndim())), lows, highs, pad_value, mode, s);
}

array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  return pad(a, std::vector<std::pair<int, int>>(a.ndim(), pad_width), pad_value, mode, s);
}

array pad(const array& a, int pad_width, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  return pad(a, std::vector<std::pair<int, int>>(a.ndim(), {pad_width, pad_width}), pad_value, mode,
             s);
}

// --------------------------------------------------------------- broadcast

array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s) {
  for (auto d : shape) {
    if (d < 0) {
      invalid("broadcast_to", "Negative dimensions are not allowed; got shape {}.",
              shape_str(shape));
    }
  }
  if (a.shape() == shape) {
    return a;
  }
  if (a.ndim() > shape.size()) {
    invalid("broadcast_to", "Cannot broadcast an array of shape {} into shape {}.",
            shape_str(a.shape()), shape_str(shape));
  }
  for (size_t i = 0; i < a.ndim(); ++i) {
    const auto d = a.shape(static_cast<int>(i));
    const auto t = shape[shape.size() - a.ndim() + i];
    if (d != t && d != 1) {
      invalid("broadcast_to", "Cannot broadcast an array of shape {} into shape {}.",
              shape_str(a.shape()), shape_str(shape));
    }
  }
  return array(shape, a.dtype(), std::make_shared<Broadcast>(to_stream(s), shape), {a});
}

std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s) {
  if (inputs.size() <= 1) {
    return inputs;
  }
  Shape shape = inputs[0].shape();
  for (const auto& in : inputs) {
    shape = broadcast_shapes(shape, in.shape());
  }
  std::vector<array> outputs;
  outputs.reserve(inputs.size());
  for (const auto& in : inputs) {
    if (in.shape() == shape) {
      outputs.push_back(in);
    } else {
      outputs.push_back(
          array(shape, in.dtype(), std::make_shared<Broadcast>(to_stream(s), shape), {in}));
    }
  }
  return outputs;
}

// -------------------------------------------------------------------- roll

array roll(const array& a, const Shape& shift, const std::vector<int>& axes, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  if (shift.size() < axes.size()) {
    invalid("roll", "Expected a shift per axis ({}); got {}.", axes.size(), shift.size());
  }
  array result = a;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int ax = detail::normalize_axis("roll", axes[i], static_cast<int>(a.ndim()));
    const int64_t size = a.shape(ax);
    if (size == 0) {
      continue;
    }
    const int64_t sh = shift[i];
    const int64_t split_index = sh < 0 ? (-sh) % size : (size - sh % size) % size;
    if (split_index == 0) {
      continue;
    }
    auto parts = split(result, Shape{static_cast<ShapeElem>(split_index)}, ax, s);
    std::swap(parts[0], parts[1]);
    result = concatenate(parts, ax, s);
  }
  return result;
}

array roll(const array& a, int shift, StreamOrDevice s) {
  auto shape = a.shape();
  return reshape(roll(flatten(a, s), Shape{shift}, std::vector<int>{0}, s), std::move(shape), s);
}

array roll(const array& a, const Shape& shift, StreamOrDevice s) {
  int64_t total = 0;
  for (auto sh : shift) {
    total += sh;
  }
  const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(a.size()));
  return roll(a, static_cast<int>(total % n), s);
}

array roll(const array& a, int shift, int axis, StreamOrDevice s) {
  return roll(a, Shape{shift}, std::vector<int>{axis}, s);
}

array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s) {
  return roll(a, Shape(axes.size(), shift), axes, s);
}

array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s) {
  int64_t total = 0;
  for (auto sh : shift) {
    total += sh;
  }
  const int ax = detail::normalize_axis("roll", axis, static_cast<int>(a.ndim()));
  const int64_t n = std::max<int64_t>(1, a.shape(ax));
  return roll(a, Shape{static_cast<ShapeElem>(total % n)}, std::vector<int>{ax}, s);
}

// --------------------------------------------------------------- diagonals

array diagonal(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  const int ndim = static_cast<int>(a.ndim());
  if (ndim < 2) {
    invalid("diagonal", "The array must have at least two dimensions; got {}.", ndim);
  }
  const int ax1 = detail::normalize_axis("diagonal", axis1, ndim);
  const int ax2 = detail::normalize_axis("diagonal", axis2, ndim);
  if (ax1 == ax2) {
    invalid("diagonal", "axis1 and axis2 cannot be the same axis; got {} and {}.", axis1, axis2);
  }
  const int64_t off1 = std::max<int64_t>(-static_cast<int64_t>(offset), 0);
  const int64_t off2 = std::max<int64_t>(offset, 0);
  const int64_t len =
      std::max<int64_t>(0, std::min<int64_t>(a.shape(ax1) - off1, a.shape(ax2) - off2));
  // A strided view of the row-major array: the other axes in order, then
  // the diagonal with the sum of the two axes' strides.
  Strides row_strides(ndim);
  int64_t st = 1;
  for (int i = ndim - 1; i >= 0; --i) {
    row_strides[i] = st;
    st *= a.shape(i);
  }
  Shape shape;
  Strides strides;
  for (int i = 0; i < ndim; ++i) {
    if (i != ax1 && i != ax2) {
      shape.push_back(a.shape(i));
      strides.push_back(row_strides[i]);
    }
  }
  shape.push_back(static_cast<ShapeElem>(len));
  strides.push_back(row_strides[ax1] + row_strides[ax2]);
  const size_t start =
      len == 0 ? 0 : static_cast<size_t>(off1 * row_strides[ax1] + off2 * row_strides[ax2]);
  return as_strided(a, std::move(shape), std::move(strides), start, s);
}

array diag(const array& a, int k, StreamOrDevice s) {
  if (a.ndim() == 2) {
    return diagonal(a, k, 0, 1, s);
  }
  if (a.ndim() != 1) {
    invalid("diag", "The array must be 1-D or 2-D; got {} dimensions.", a.ndim());
  }
  const int64_t n64 = static_cast<int64_t>(a.size()) + std::abs(static_cast<int64_t>(k));
  const int n = detail::checked_dim("diag", n64);
  const int pad_len = n - static_cast<int>(a.size());
  // Row i of the result holds a[i] at column i + k (k >= 0); column j holds a[j] at row j - k.
  array values =
      pad(a, std::vector<int>{0}, Shape{0}, Shape{pad_len}, array(0, a.dtype()), "constant", s);
  values = k >= 0 ? expand_dims(values, 1, s) : expand_dims(values, 0, s);
  array mask = eye(n, n, k, bool_, s);
  return where(mask, values, array(0, a.dtype()), s);
}

array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s) {
  if (a.ndim() < 2) {
    invalid("trace", "The array must have at least two dimensions; got {}.", a.ndim());
  }
  return sum(astype(diagonal(a, offset, axis1, axis2, s), dtype, s), -1, false, s);
}

array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  return trace(a, offset, axis1, axis2, a.dtype(), s);
}

array trace(const array& a, StreamOrDevice s) {
  return trace(a, 0, 0, 1, a.dtype(), s);
}

// ------------------------------------------------------------------- misc

array atleast_1d(const array& a, StreamOrDevice s) {
  return a.ndim() == 0 ? reshape(a, {1}, s) : a;
}
array atleast_2d(const array& a, StreamOrDevice s) {
  switch (a.ndim()) {
    case 0:
      return reshape(a, {1, 1}, s);
    case 1:
      return reshape(a, {1, a.shape(0)}, s);
    default:
      return a;
  }
}
array atleast_3d(const array& a, StreamOrDevice s) {
  switch (a.ndim()) {
    case 0:
      return reshape(a, {1, 1, 1}, s);
    case 1:
      return reshape(a, {1, a.shape(0), 1}, s);
    case 2:
      return reshape(a, {a.shape(0), a.shape(1), 1}, s);
    default:
      return a;
  }
}

namespace {
template <typename F>
std::vector<array> map_arrays(const std::vector<array>& arrays, F f) {
  std::vector<array> out;
  out.reserve(arrays.size());
  for (const auto& a : arrays) {
    out.push_back(f(a));
  }
  return out;
}
}  // namespace

std::vector<array> atleast_1d(const std::vector<array>& a, StreamOrDevice s) {
  return map_arrays(a, [&](const array& x) { return atleast_1d(x, s); });
}
std::vector<array> atleast_2d(const std::vector<array>& a, StreamOrDevice s) {
  return map_arrays(a, [&](const array& x) { return atleast_2d(x, s); });
}
std::vector<array> atleast_3d(const std::vector<array>& a, StreamOrDevice s) {
  return map_arrays(a, [&](const array& x) { return atleast_3d(x, s); });
}

array view(const array& a, const Dtype& dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) {
    return a;
  }
  auto shape = a.shape();
  const auto ibytes = size_of(a.dtype());
  const auto obytes = size_of(dtype);
  if (ibytes != obytes) {
    if (a.ndim() == 0) {
      invalid("view",
              "Changing the type of a scalar is only allowed between types of the same "
              "size; got {} and {}.",
              dtype_name(a.dtype()), dtype_name(dtype));
    }
    if (ibytes < obytes) {
      if (shape.back() % (obytes / ibytes) != 0) {
        invalid("view",
                "When viewing as a larger dtype, the last axis size in bytes must be a multiple "
                "of the new type's size; got {} elements of {} bytes for {} bytes.",
                shape.back(), ibytes, obytes);
      }
      shape.back() /= static_cast<ShapeElem>(obytes / ibytes);
    } else {
      shape.back() = detail::checked_dim(
          "view", static_cast<int64_t>(shape.back()) * static_cast<int64_t>(ibytes / obytes));
    }
  }
  return array(std::move(shape), dtype, std::make_shared<View>(to_stream(s), dtype), {a});
}

array stop_gradient(const array& a, StreamOrDevice s) {
  return array(a.shape(), a.dtype(), std::make_shared<StopGradient>(to_stream(s)), {a});
}

array contiguous(const array& a, bool allow_col_major, StreamOrDevice s) {
  return array(a.shape(), a.dtype(), std::make_shared<Contiguous>(to_stream(s), allow_col_major),
               {a});
}

array number_of_elements(const array& a, std::vector<int> axes, bool inverted, Dtype dtype,
                         StreamOrDevice) {
  double n = 1;
  for (int ax : axes) {
    n *= a.shape(detail::normalize_axis("number_of_elements", ax, static_cast<int>(a.ndim())));
  }
  return array(inverted ? 1.0 / n : n, dtype);
}

}  // namespace mlxcpp
