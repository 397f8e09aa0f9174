// Reductions, scans, softmax and sorting.
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

using detail::at_least_float;
using detail::invalid;

namespace {

struct ReduceShape {
  Shape shape;            // with 1 at reduced axes (keepdims)
  std::vector<int> axes;  // sorted and normalized
  bool noop;              // every reduced axis already has size 1
};

// `without_identity` names reductions (max, min) that are undefined over an empty axis.
ReduceShape reduce_shape(const char* op, const std::vector<int>& axes, const Shape& shape,
                         bool without_identity = false) {
  ReduceShape r;
  r.axes = detail::normalize_reduce_axes(op, axes, static_cast<int>(shape.size()));
  r.shape = shape;
  r.noop = true;
  for (int ax : r.axes) {
    if (without_identity && shape[ax] == 0) {
      invalid(op, "Cannot {} reduce over axis {} with size 0.", op, ax);
    }
    r.noop &= shape[ax] == 1;
    r.shape[ax] = 1;
  }
  return r;
}

array reduce(const char* op, const array& a, const std::vector<int>& axes, bool keepdims,
             Reduce::ReduceType type, Dtype out_type, StreamOrDevice s,
             bool without_identity = false) {
  auto r = reduce_shape(op, axes, a.shape(), without_identity);
  array out =
      r.noop ? astype(a, out_type, s)
             : array(r.shape, out_type, std::make_shared<Reduce>(to_stream(s), type, r.axes), {a});
  return keepdims ? out : squeeze(out, r.axes, s);
}

// Sums and products of small integers widen to 32 bits, bool to int32.
Dtype accumulate_type(Dtype t) {
  if (issubdtype(t, signedinteger)) {
    return t.size() <= 4 ? int32 : int64;
  }
  if (issubdtype(t, unsignedinteger)) {
    return t.size() <= 4 ? uint32 : uint64;
  }
  return t == bool_ ? int32 : t;
}

std::vector<int> all_axes_of(const array& a) {
  return detail::all_axes(static_cast<int>(a.ndim()));
}

}  // namespace

array all(const array& a, bool keepdims, StreamOrDevice s) {
  return all(a, all_axes_of(a), keepdims, s);
}
array all(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce("all", a, axes, keepdims, Reduce::And, bool_, s);
}
array all(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return all(a, std::vector<int>{axis}, keepdims, s);
}

array any(const array& a, bool keepdims, StreamOrDevice s) {
  return any(a, all_axes_of(a), keepdims, s);
}
array any(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce("any", a, axes, keepdims, Reduce::Or, bool_, s);
}
array any(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return any(a, std::vector<int>{axis}, keepdims, s);
}

array sum(const array& a, bool keepdims, StreamOrDevice s) {
  return sum(a, all_axes_of(a), keepdims, s);
}
array sum(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  return reduce("sum", a, axes, keepdims, Reduce::Sum, accumulate_type(a.dtype()), s);
}
array sum(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return sum(a, std::vector<int>{axis}, keepdims, s);
}

array prod(const array& a, bool keepdims, StreamOrDevice s) {
  return prod(a, all_axes_of(a), keepdims, s);
}
array prod(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  return reduce("prod", a, axes, keepdims, Reduce::Prod, accumulate_type(a.dtype()), s);
}
array prod(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return prod(a, std::vector<int>{axis}, keepdims, s);
}

array max(const array& a, bool keepdims, StreamOrDevice s) {
  return max(a, all_axes_of(a), keepdims, s);
}
array max(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  return reduce("max", a, axes, keepdims, Reduce::Max, a.dtype(), s, true);
}
array max(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return max(a, std::vector<int>{axis}, keepdims, s);
}

array min(const array& a, bool keepdims, StreamOrDevice s) {
  return min(a, all_axes_of(a), keepdims, s);
}
array min(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  return reduce("min", a, axes, keepdims, Reduce::Min, a.dtype(), s, true);
}
array min(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return min(a, std::vector<int>{axis}, keepdims, s);
}

array mean(const array& a, bool keepdims, StreamOrDevice s) {
  return mean(a, all_axes_of(a), keepdims, s);
}
array mean(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  detail::normalize_reduce_axes("mean", axes, static_cast<int>(a.ndim()));
  const Dtype dtype = at_least_float(a.dtype());
  auto normalizer = number_of_elements(a, axes, true, dtype, s);
  return multiply(sum(a, axes, keepdims, s), normalizer, s);
}
array mean(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return mean(a, std::vector<int>{axis}, keepdims, s);
}

array var(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, all_axes_of(a), keepdims, ddof, s);
}
array var(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  detail::normalize_reduce_axes("var", axes, static_cast<int>(a.ndim()));
  Dtype dtype = at_least_float(a.dtype());
  auto mu = mean(a, axes, true, s);
  auto d = subtract(a, mu, s);
  // Complex variance is the mean squared magnitude.
  auto sq = dtype == complex64 ? real(multiply(d, conjugate(d, s), s), s) : square(d, s);
  if (dtype == complex64) {
    dtype = float32;
  }
  auto v = sum(sq, axes, keepdims, s);
  if (ddof != 0) {
    auto normalizer =
        maximum(subtract(number_of_elements(a, axes, false, dtype, s), array(ddof, dtype), s),
                array(0, dtype), s);
    return divide(v, normalizer, s);
  }
  return multiply(v, number_of_elements(a, axes, true, dtype, s), s);
}
array var(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, std::vector<int>{axis}, keepdims, ddof, s);
}

array std(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, all_axes_of(a), keepdims, ddof, s);
}
array std(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  return sqrt(var(a, axes, keepdims, ddof, s), s);
}
array std(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, std::vector<int>{axis}, keepdims, ddof, s);
}

array median(const array& a, bool keepdims, StreamOrDevice s) {
  return median(a, all_axes_of(a), keepdims, s);
}
array median(const array& a, const std::vector<int>& axes_in, bool keepdims, StreamOrDevice s) {
  const auto axes = detail::normalize_reduce_axes("median", axes_in, static_cast<int>(a.ndim()));
  const Dtype dtype = at_least_float(a.dtype());
  if (a.ndim() == 0) {
    return astype(a, dtype, s);
  }
  // Move the median axes to the back and flatten them into one.
  std::vector<int> perm;
  std::vector<bool> reduced(a.ndim(), false);
  for (int ax : axes) {
    reduced[ax] = true;
  }
  for (size_t i = 0; i < a.ndim(); ++i) {
    if (!reduced[i]) {
      perm.push_back(static_cast<int>(i));
    }
  }
  const int flat_start = static_cast<int>(perm.size());
  perm.insert(perm.end(), axes.begin(), axes.end());
  array flat = transpose(a, perm, s);
  if (axes.empty()) {
    flat = expand_dims(flat, -1, s);
  } else {
    flat = flatten(flat, flat_start, static_cast<int>(a.ndim()) - 1, s);
  }
  const int n = flat.shape(-1);
  if (n == 0) {
    invalid("median", "Cannot take the median along an empty axis.");
  }
  auto sorted = sort(flat, -1, s);
  const int mid = n / 2;
  Shape start(sorted.ndim(), 0);
  Shape stop = sorted.shape();
  start.back() = mid;
  stop.back() = mid + 1;
  auto m = astype(slice(sorted, start, stop, s), dtype, s);
  if (n % 2 == 0) {
    start.back() = mid - 1;
    stop.back() = mid;
    m = multiply(add(m, astype(slice(sorted, start, stop, s), dtype, s), s), array(0.5, dtype), s);
  }
  // Sorting puts NaN last, where the midpoint never sees it: propagate it.
  if (issubdtype(a.dtype(), inexact)) {
    m = where(any(isnan(flat, s), -1, true, s),
              array(std::numeric_limits<float>::quiet_NaN(), dtype), m, s);
  }
  m = squeeze(m, -1, s);
  return keepdims ? expand_dims(m, axes, s) : m;
}
array median(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return median(a, std::vector<int>{axis}, keepdims, s);
}

array logsumexp(const array& a, bool keepdims, StreamOrDevice s) {
  return logsumexp(a, all_axes_of(a), keepdims, s);
}
array logsumexp(const array& a, const std::vector<int>& axes_in, bool keepdims, StreamOrDevice s) {
  if (a.size() == 0) {
    invalid("logsumexp", "Received an empty array.");
  }
  if (a.ndim() == 0 && !axes_in.empty()) {
    invalid("logsumexp", "Received axes for an array with 0 dimensions.");
  }
  const auto axes = detail::normalize_reduce_axes("logsumexp", axes_in, static_cast<int>(a.ndim()));
  if (axes.empty()) {
    return astype(a, at_least_float(a.dtype()), s);
  }
  // The fused kernel handles the last axis (with only size-1 axes before it).
  bool last_only = axes.back() == static_cast<int>(a.ndim()) - 1;
  for (size_t i = 0; last_only && i + 1 < axes.size(); ++i) {
    last_only = a.shape(axes[i]) == 1;
  }
  if (last_only && a.dtype() != complex64) {
    const Dtype dtype = at_least_float(a.dtype());
    auto shape = a.shape();
    shape.back() = 1;
    array out(std::move(shape), dtype, std::make_shared<LogSumExp>(to_stream(s)),
              {astype(a, dtype, s)});
    return keepdims ? out : squeeze(out, axes, s);
  }
  auto maxval = stop_gradient(max(a, axes, true, s), s);
  auto out = log(sum(exp(subtract(a, maxval, s), s), axes, keepdims, s), s);
  out = add(out, reshape(maxval, out.shape(), s), s);
  if (!keepdims) {
    maxval = squeeze(maxval, axes, s);
  }
  return where(isinf(maxval, s), maxval, out, s);
}
array logsumexp(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return logsumexp(a, std::vector<int>{axis}, keepdims, s);
}

array count_nonzero(const array& a, bool keepdims, StreamOrDevice s) {
  return count_nonzero(a, all_axes_of(a), keepdims, s);
}
array count_nonzero(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return count_nonzero(a, std::vector<int>{axis}, keepdims, s);
}
array count_nonzero(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto nz = astype(not_equal(a, array(0, a.dtype()), s), int32, s);
  return sum(nz, axes, keepdims, s);
}

namespace {
array arg_reduce(const char* op, const array& a, int axis, bool keepdims,
                 ArgReduce::ReduceType type, StreamOrDevice s) {
  if (a.size() == 0) {
    invalid(op, "Cannot {} reduce a zero size array.", op);
  }
  auto r = reduce_shape(op, {axis}, a.shape());
  array out = r.noop ? zeros(r.shape, uint32, s)
                     : array(r.shape, uint32,
                             std::make_shared<ArgReduce>(to_stream(s), type, r.axes[0]), {a});
  return keepdims ? out : squeeze(out, r.axes[0], s);
}

array arg_reduce_all(const char* op, const array& a, bool keepdims, ArgReduce::ReduceType type,
                     StreamOrDevice s) {
  auto result = arg_reduce(op, flatten(a, s), 0, true, type, s);
  if (keepdims) {
    std::vector<int> axes(a.ndim() > 0 ? a.ndim() - 1 : 0);
    std::iota(axes.begin(), axes.end(), 0);
    return expand_dims(result, axes, s);
  }
  return squeeze(result, s);
}
}  // namespace

array argmin(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_all("argmin", a, keepdims, ArgReduce::ArgMin, s);
}
array argmin(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce("argmin", a, axis, keepdims, ArgReduce::ArgMin, s);
}
array argmax(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_all("argmax", a, keepdims, ArgReduce::ArgMax, s);
}
array argmax(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce("argmax", a, axis, keepdims, ArgReduce::ArgMax, s);
}

// ----------------------------------------------------------------- softmax

array softmax(const array& a, const std::vector<int>& axes_in, bool precise, StreamOrDevice s) {
  if (a.size() == 0) {
    return a;
  }
  if (a.ndim() == 0 && !axes_in.empty()) {
    invalid("softmax", "Received axes for an array with 0 dimensions.");
  }
  const auto axes = detail::normalize_reduce_axes("softmax", axes_in, static_cast<int>(a.ndim()));
  const bool complex = a.dtype() == complex64;
  bool last_only = !axes.empty() && axes.back() == static_cast<int>(a.ndim()) - 1;
  for (size_t i = 0; last_only && i + 1 < axes.size(); ++i) {
    last_only = a.shape(axes[i]) == 1;
  }
  if (last_only && !complex) {
    const Dtype dtype = at_least_float(a.dtype());
    return array(a.shape(), dtype, std::make_shared<Softmax>(to_stream(s), precise),
                 {astype(a, dtype, s)});
  }
  array in = (precise && !complex) ? astype(a, float32, s) : a;
  auto a_max = stop_gradient(max(in, axes, true, s), s);
  auto ex = exp(subtract(in, a_max, s), s);
  return astype(divide(ex, sum(ex, axes, true, s), s), a.dtype(), s);
}

array softmax(const array& a, bool precise, StreamOrDevice s) {
  return softmax(a, all_axes_of(a), precise, s);
}

// ------------------------------------------------------------------- scans

namespace {
array scan(const char* op, const array& a, int axis, bool reverse, bool inclusive,
           Scan::ReduceType type, Dtype out_dtype, StreamOrDevice s) {
  const int ax = detail::normalize_axis(op, axis, static_cast<int>(a.ndim()));
  return array(a.shape(), out_dtype,
               std::make_shared<Scan>(to_stream(s), type, ax, reverse, inclusive), {a});
}
}  // namespace

array cumsum(const array& a, int axis, bool reverse, bool inclusive, std::optional<Dtype> dtype,
             StreamOrDevice s) {
  detail::normalize_axis("cumsum", axis, static_cast<int>(a.ndim()));
  auto x = dtype ? astype(a, *dtype, s) : a;
  const Dtype out = x.dtype() == bool_ ? int32 : x.dtype();
  return scan("cumsum", x, axis, reverse, inclusive, Scan::Sum, out, s);
}
array cumsum(const array& a, bool reverse, bool inclusive, std::optional<Dtype> dtype,
             StreamOrDevice s) {
  return cumsum(flatten(a, s), 0, reverse, inclusive, dtype, s);
}
array cumprod(const array& a, int axis, bool reverse, bool inclusive, std::optional<Dtype> dtype,
              StreamOrDevice s) {
  detail::normalize_axis("cumprod", axis, static_cast<int>(a.ndim()));
  auto x = dtype ? astype(a, *dtype, s) : a;
  return scan("cumprod", x, axis, reverse, inclusive, Scan::Prod, x.dtype(), s);
}
array cumprod(const array& a, bool reverse, bool inclusive, std::optional<Dtype> dtype,
              StreamOrDevice s) {
  return cumprod(flatten(a, s), 0, reverse, inclusive, dtype, s);
}
array cummax(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan("cummax", a, axis, reverse, inclusive, Scan::Max, a.dtype(), s);
}
array cummax(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return cummax(flatten(a, s), 0, reverse, inclusive, s);
}
array cummin(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan("cummin", a, axis, reverse, inclusive, Scan::Min, a.dtype(), s);
}
array cummin(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return cummin(flatten(a, s), 0, reverse, inclusive, s);
}
array logcumsumexp(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), floating)) {
    invalid("logcumsumexp", "Expected a real floating point dtype; got {}.", dtype_name(a.dtype()));
  }
  return scan("logcumsumexp", a, axis, reverse, inclusive, Scan::LogAddExp, a.dtype(), s);
}
array logcumsumexp(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return logcumsumexp(flatten(a, s), 0, reverse, inclusive, s);
}

array diff(const array& a, int n, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("diff", axis, static_cast<int>(a.ndim()));
  if (n < 0) {
    invalid("diff", "The order n must be non-negative; got {}.", n);
  }
  array x = a;
  for (int i = 0; i < n && x.shape(ax) > 0; ++i) {
    Shape upper_start(x.ndim(), 0);
    Shape lower_stop = x.shape();
    upper_start[ax] = 1;
    lower_stop[ax] = x.shape(ax) - 1;
    auto upper = slice(x, upper_start, x.shape(), s);
    auto lower = slice(x, Shape(x.ndim(), 0), lower_stop, s);
    x = subtract(upper, lower, s);
  }
  return x;
}

// ----------------------------------------------------------------- sorting

array sort(const array& a, StreamOrDevice s) {
  return sort(reshape(a, {detail::checked_dim("sort", static_cast<int64_t>(a.size()))}, s), 0, s);
}
array sort(const array& a, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("sort", axis, static_cast<int>(a.ndim()));
  return array(a.shape(), a.dtype(), std::make_shared<Sort>(to_stream(s), ax), {a});
}
array argsort(const array& a, StreamOrDevice s) {
  return argsort(reshape(a, {detail::checked_dim("argsort", static_cast<int64_t>(a.size()))}, s), 0,
                 s);
}
array argsort(const array& a, int axis, StreamOrDevice s) {
  // Shape dimensions are 32-bit signed, so every index fits the uint32 output.
  const int ax = detail::normalize_axis("argsort", axis, static_cast<int>(a.ndim()));
  return array(a.shape(), uint32, std::make_shared<ArgSort>(to_stream(s), ax), {a});
}

namespace {
// kth normalized into [0, n) along the axis, or an error.
int checked_kth(const char* op, int kth, int axis, const array& a) {
  const int n = a.shape(axis);
  if (kth < -n || kth >= n) {
    detail::invalid(op, "kth {} is out of range for axis {} of shape {}.", kth, axis,
                    detail::shape_str(a.shape()));
  }
  return kth < 0 ? kth + n : kth;
}
}  // namespace

array partition(const array& a, int kth, StreamOrDevice s) {
  return partition(
      reshape(a, {detail::checked_dim("partition", static_cast<int64_t>(a.size()))}, s), kth, 0, s);
}
array partition(const array& a, int kth, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("partition", axis, static_cast<int>(a.ndim()));
  const int k = checked_kth("partition", kth, ax, a);
  return array(a.shape(), a.dtype(), std::make_shared<Partition>(to_stream(s), k, ax), {a});
}
array argpartition(const array& a, int kth, StreamOrDevice s) {
  return argpartition(
      reshape(a, {detail::checked_dim("argpartition", static_cast<int64_t>(a.size()))}, s), kth, 0,
      s);
}
array argpartition(const array& a, int kth, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("argpartition", axis, static_cast<int>(a.ndim()));
  const int k = checked_kth("argpartition", kth, ax, a);
  return array(a.shape(), uint32, std::make_shared<ArgPartition>(to_stream(s), k, ax), {a});
}

array topk(const array& a, int k, StreamOrDevice s) {
  return topk(reshape(a, {detail::checked_dim("topk", static_cast<int64_t>(a.size()))}, s), k, 0,
              s);
}
array topk(const array& a, int k, int axis, StreamOrDevice s) {
  const int ax = detail::normalize_axis("topk", axis, static_cast<int>(a.ndim()));
  const int n = a.shape(ax);
  if (k < 0 || k > n) {
    detail::invalid("topk", "k = {} is out of range [0, {}] for axis {} of shape {}.", k, n, axis,
                    detail::shape_str(a.shape()));
  }
  if (k == n) {
    return a;
  }
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  start[ax] = n - k;
  if (k == 0) {
    return slice(a, start, stop, s);
  }
  return slice(partition(a, -k, ax, s), start, stop, s);
}

array searchsorted(const array& sorted_sequence, const array& values, const std::string& side,
                   StreamOrDevice s) {
  if (side != "left" && side != "right") {
    detail::invalid("searchsorted", "side must be 'left' or 'right'; got '{}'.", side);
  }
  if (sorted_sequence.ndim() != 1) {
    detail::invalid("searchsorted", "The sorted sequence must be 1-D; got shape {}.",
                    detail::shape_str(sorted_sequence.shape()));
  }
  const Dtype dtype = promote_types(sorted_sequence.dtype(), values.dtype());
  return array(values.shape(), uint32,
               std::make_shared<SearchSorted>(to_stream(s), side == "right"),
               {astype(sorted_sequence, dtype, s), astype(values, dtype, s)});
}

}  // namespace mlxcpp
