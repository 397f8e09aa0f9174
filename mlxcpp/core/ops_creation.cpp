// Creation ops: arange, linspace, full, zeros, ones, eye, tri, meshgrid,
// astype, copy, as_strided.
#include <cmath>
#include <limits>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

using detail::invalid;

array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s) {
  if (dtype == bool_ || dtype == complex64) {
    invalid("arange", "{} is not supported; expected a real numeric dtype.", dtype_name(dtype));
  }
  if (std::isnan(start) || std::isnan(stop) || std::isnan(step) || std::isinf(start) ||
      std::isinf(stop)) {
    invalid("arange",
            "Cannot compute the length; expected finite start and stop, got {}, {} "
            "(step {}).",
            start, stop, step);
  }
  if (step == 0) {
    invalid("arange", "step must be nonzero.");
  }
  if (std::isinf(step) && ((step > 0 && start < stop) || (step < 0 && start > stop))) {
    return array({start}, dtype);
  }
  const double real_size = std::ceil((stop - start) / step);
  if (real_size > std::numeric_limits<ShapeElem>::max()) {
    invalid("arange", "Maximum size exceeded; expected at most {} elements, got {}.",
            std::numeric_limits<ShapeElem>::max(), real_size);
  }
  const int size = real_size > 0 ? static_cast<int>(real_size) : 0;
  return array({size}, dtype, std::make_shared<Arange>(to_stream(s), start, stop, step), {});
}
array arange(double start, double stop, double step, StreamOrDevice s) {
  return arange(start, stop, step, float32, s);
}
array arange(double start, double stop, Dtype dtype, StreamOrDevice s) {
  return arange(start, stop, 1.0, dtype, s);
}
array arange(double start, double stop, StreamOrDevice s) {
  return arange(start, stop, 1.0, float32, s);
}
array arange(double stop, Dtype dtype, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, dtype, s);
}
array arange(double stop, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, float32, s);
}
array arange(int start, int stop, int step, StreamOrDevice s) {
  return arange(static_cast<double>(start), static_cast<double>(stop), static_cast<double>(step),
                int32, s);
}
array arange(int start, int stop, StreamOrDevice s) {
  return arange(static_cast<double>(start), static_cast<double>(stop), 1.0, int32, s);
}
array arange(int stop, StreamOrDevice s) {
  return arange(0.0, static_cast<double>(stop), 1.0, int32, s);
}

array linspace(double start, double stop, int num, bool endpoint, Dtype dtype, StreamOrDevice s) {
  if (num < 0) {
    invalid("linspace", "The number of samples must be non-negative, got {}.", num);
  }
  if (num == 1) {
    return astype(array({start}), dtype, s);
  }
  const Dtype inner = dtype == float64 ? float64 : float32;
  const int denominator = endpoint ? num - 1 : num;
  array t = divide(arange(0, num, inner, s), array(denominator, inner), s);
  array t_bar = subtract(array(1, inner), t, s);
  return astype(add(multiply(t_bar, array(start, inner), s), multiply(t, array(stop, inner), s), s),
                dtype, s);
}

array astype(array a, Dtype dtype, StreamOrDevice s) {
  if (dtype == a.dtype()) {
    return a;
  }
  auto shape = a.shape();
  return array(std::move(shape), dtype, std::make_shared<AsType>(to_stream(s), dtype),
               {std::move(a)});
}

array as_strided(array a, Shape shape, Strides strides, size_t offset, StreamOrDevice s) {
  if (shape.size() != strides.size()) {
    invalid("as_strided", "Expected one stride per dimension; got {} dimensions and {} strides.",
            shape.size(), strides.size());
  }
  __int128 lo = static_cast<__int128>(offset);
  __int128 hi = lo;
  bool empty = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      invalid("as_strided", "Negative dimensions are not allowed; got shape {}.",
              detail::shape_str(shape));
    }
    empty |= shape[i] == 0;
    const __int128 reach = static_cast<__int128>(shape[i] == 0 ? 0 : shape[i] - 1) * strides[i];
    (reach < 0 ? lo : hi) += reach;
  }
  if (!empty && (lo < 0 || hi >= static_cast<__int128>(a.size()))) {
    invalid("as_strided",
            "The view reaches outside the array; expected every element offset in [0, {}), "
            "got offsets from {} to {}.",
            a.size(), static_cast<int64_t>(lo), static_cast<int64_t>(hi));
  }
  auto out_shape = shape;
  const Dtype dtype = a.dtype();
  return array(std::move(out_shape), dtype,
               std::make_shared<AsStrided>(to_stream(s), std::move(shape), std::move(strides),
                                           empty ? 0 : offset),
               {flatten(a, s)});
}

array copy(array a, StreamOrDevice s) {
  auto shape = a.shape();
  const Dtype dtype = a.dtype();
  return array(std::move(shape), dtype, std::make_shared<Copy>(to_stream(s)), {std::move(a)});
}

namespace {
array full_impl(const array& vals, Dtype dtype, StreamOrDevice s) {
  return array(vals.shape(), dtype, std::make_shared<Full>(to_stream(s)), {astype(vals, dtype, s)});
}
}  // namespace

array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s) {
  for (auto d : shape) {
    if (d < 0) {
      invalid("full", "Negative dimensions are not allowed; got shape {}.",
              detail::shape_str(shape));
    }
  }
  return full_impl(broadcast_to(vals, shape, s), dtype, s);
}
array full(Shape shape, array vals, StreamOrDevice s) {
  const Dtype dtype = vals.dtype();
  return full(std::move(shape), std::move(vals), dtype, s);
}

array full_like(const array& a, array vals, Dtype dtype, StreamOrDevice s) {
  auto inputs = broadcast_arrays({a, std::move(vals)}, s);
  return full_impl(inputs[1], dtype, s);
}
array full_like(const array& a, array vals, StreamOrDevice s) {
  return full_like(a, std::move(vals), a.dtype(), s);
}

array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(0, dtype), s);
}
array zeros_like(const array& a, StreamOrDevice s) {
  return zeros_like(a, a.dtype(), s);
}
array zeros_like(const array& a, Dtype dtype, StreamOrDevice s) {
  return full(a.shape(), array(0, dtype), s);
}
array ones(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(1, dtype), s);
}
array ones_like(const array& a, StreamOrDevice s) {
  return ones_like(a, a.dtype(), s);
}
array ones_like(const array& a, Dtype dtype, StreamOrDevice s) {
  return full(a.shape(), array(1, dtype), s);
}

array eye(int n, int m, int k, Dtype dtype, StreamOrDevice s) {
  if (n < 0 || m < 0) {
    invalid("eye", "N and M must be non-negative; got N={} and M={}.", n, m);
  }
  // One where column - row == k.
  auto rows = expand_dims(arange(0.0, n, int64, s), 1, s);
  auto cols = expand_dims(arange(0.0, m, int64, s), 0, s);
  auto diff = subtract(cols, rows, s);
  return astype(equal(diff, array(static_cast<int64_t>(k)), s), dtype, s);
}

array identity(int n, Dtype dtype, StreamOrDevice s) {
  return eye(n, n, 0, dtype, s);
}

array tri(int n, int m, int k, Dtype type, StreamOrDevice s) {
  if (n < 0 || m < 0) {
    invalid("tri", "N and M must be non-negative; got N={} and M={}.", n, m);
  }
  // In int64 so that no k overflows the comparison.
  auto l = expand_dims(arange(0.0, n, int64, s), 1, s);
  auto r = expand_dims(subtract(arange(0.0, m, int64, s), array(static_cast<int64_t>(k)), s), 0, s);
  return astype(greater_equal(l, r, s), type, s);
}

array tril(array x, int k, StreamOrDevice s) {
  if (x.ndim() < 2) {
    invalid("tril", "The array must be at least 2-D; got {} dimensions.", x.ndim());
  }
  auto mask = tri(x.shape(-2), x.shape(-1), k, bool_, s);
  return where(mask, x, array(0, x.dtype()), s);
}

array triu(array x, int k, StreamOrDevice s) {
  if (x.ndim() < 2) {
    invalid("triu", "The array must be at least 2-D; got {} dimensions.", x.ndim());
  }
  auto mask = tri(x.shape(-2), x.shape(-1), k - 1, bool_, s);
  return where(mask, array(0, x.dtype()), x, s);
}

std::vector<array> meshgrid(const std::vector<array>& arrays, bool sparse,
                            const std::string& indexing, StreamOrDevice s) {
  if (indexing != "xy" && indexing != "ij") {
    invalid("meshgrid", "Invalid indexing value; expected 'xy' or 'ij', got '{}'.", indexing);
  }
  const size_t ndim = arrays.size();
  std::vector<array> outputs;
  for (size_t i = 0; i < ndim; ++i) {
    Shape shape(ndim, 1);
    shape[i] = -1;
    outputs.push_back(reshape(arrays[i], std::move(shape), s));
  }
  if (indexing == "xy" && ndim > 1) {
    Shape shape(ndim, 1);
    shape[1] = detail::checked_dim("meshgrid", static_cast<int64_t>(arrays[0].size()));
    outputs[0] = reshape(arrays[0], shape, s);
    shape[1] = 1;
    shape[0] = detail::checked_dim("meshgrid", static_cast<int64_t>(arrays[1].size()));
    outputs[1] = reshape(arrays[1], std::move(shape), s);
  }
  if (!sparse) {
    outputs = broadcast_arrays(outputs, s);
  }
  return outputs;
}

}  // namespace mlxcpp
