// Array operations with MLX's names, argument order, defaults and semantics
// (broadcasting, type promotion, keepdims, negative axes).
//
// Every op checks its arguments when it is called and throws
// std::invalid_argument ("[op] what is wrong; expected X, got Y"); it builds
// a lazy array and computes nothing.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mlxcpp/core/array.h"
#include "mlxcpp/core/device.h"
#include "mlxcpp/core/stream.h"
#include "mlxcpp/core/utils.h"

namespace mlxcpp {

// ---------------------------------------------------------------- creation

/** [start, stop) in steps of step. Length ceil((stop - start) / step). */
array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s = {});
array arange(double start, double stop, double step, StreamOrDevice s = {});
array arange(double start, double stop, Dtype dtype, StreamOrDevice s = {});
array arange(double start, double stop, StreamOrDevice s = {});
array arange(double stop, Dtype dtype, StreamOrDevice s = {});
array arange(double stop, StreamOrDevice s = {});
array arange(int start, int stop, int step, StreamOrDevice s = {});
array arange(int start, int stop, StreamOrDevice s = {});
array arange(int stop, StreamOrDevice s = {});

/** num evenly spaced values over [start, stop] (or [start, stop) without endpoint). */
array linspace(double start, double stop, int num, bool endpoint, Dtype dtype = float32,
               StreamOrDevice s = {});
inline array linspace(double start, double stop, int num = 50, Dtype dtype = float32,
                      StreamOrDevice s = {}) {
  return linspace(start, stop, num, true, dtype, s);
}

/** a converted to dtype (a itself when it already has that dtype). */
array astype(array a, Dtype dtype, StreamOrDevice s = {});

/** A view of a's elements (in row-major order) with the given shape, strides and offset,
 *  all in elements. Every element it reaches must lie inside a. */
array as_strided(array a, Shape shape, Strides strides, size_t offset, StreamOrDevice s = {});

/** A copy of a. */
array copy(array a, StreamOrDevice s = {});

/** An array of the given shape filled with vals (broadcast). */
array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s = {});
array full(Shape shape, array vals, StreamOrDevice s = {});
template <typename T>
array full(Shape shape, T val, Dtype dtype, StreamOrDevice s = {}) {
  return full(std::move(shape), array(val, dtype), to_stream(s));
}
template <typename T>
array full(Shape shape, T val, StreamOrDevice s = {}) {
  return full(std::move(shape), array(val), to_stream(s));
}

array full_like(const array& a, array vals, Dtype dtype, StreamOrDevice s = {});
array full_like(const array& a, array vals, StreamOrDevice s = {});
template <typename T>
array full_like(const array& a, T val, Dtype dtype, StreamOrDevice s = {}) {
  return full_like(a, array(val, dtype), dtype, to_stream(s));
}
template <typename T>
array full_like(const array& a, T val, StreamOrDevice s = {}) {
  return full_like(a, array(val, a.dtype()), to_stream(s));
}

array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s = {});
inline array zeros(const Shape& shape, StreamOrDevice s = {}) {
  return zeros(shape, float32, s);
}
array zeros_like(const array& a, StreamOrDevice s = {});
array zeros_like(const array& a, Dtype dtype, StreamOrDevice s = {});

array ones(const Shape& shape, Dtype dtype, StreamOrDevice s = {});
inline array ones(const Shape& shape, StreamOrDevice s = {}) {
  return ones(shape, float32, s);
}
array ones_like(const array& a, StreamOrDevice s = {});
array ones_like(const array& a, Dtype dtype, StreamOrDevice s = {});

/** An (n, m) array with ones on diagonal k and zeros elsewhere. */
array eye(int n, int m, int k, Dtype dtype, StreamOrDevice s = {});
inline array eye(int n, Dtype dtype, StreamOrDevice s = {}) {
  return eye(n, n, 0, dtype, s);
}
inline array eye(int n, int m, StreamOrDevice s = {}) {
  return eye(n, m, 0, float32, s);
}
inline array eye(int n, int m, int k, StreamOrDevice s = {}) {
  return eye(n, m, k, float32, s);
}
inline array eye(int n, StreamOrDevice s = {}) {
  return eye(n, n, 0, float32, s);
}

/** The (n, n) identity matrix. */
array identity(int n, Dtype dtype, StreamOrDevice s = {});
inline array identity(int n, StreamOrDevice s = {}) {
  return identity(n, float32, s);
}

/** An (n, m) array with ones at and below diagonal k. */
array tri(int n, int m, int k, Dtype type, StreamOrDevice s = {});
inline array tri(int n, Dtype type, StreamOrDevice s = {}) {
  return tri(n, n, 0, type, s);
}

/** The lower (tril) or upper (triu) triangle of the last two axes; the rest is zeroed. */
array tril(array x, int k = 0, StreamOrDevice s = {});
array triu(array x, int k = 0, StreamOrDevice s = {});

/** Coordinate arrays from coordinate vectors ("xy" or "ij" indexing). */
std::vector<array> meshgrid(const std::vector<array>& arrays, bool sparse = false,
                            const std::string& indexing = "xy", StreamOrDevice s = {});

// ------------------------------------------------------------------- shape

/** a with a new shape of the same size; one dimension may be -1 (inferred). */
array reshape(const array& a, Shape shape, StreamOrDevice s = {});

/** Split axis into the given shape (one entry may be -1). */
array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s = {});

/** Merge the axes in [start_axis, end_axis] into one. */
array flatten(const array& a, int start_axis, int end_axis = -1, StreamOrDevice s = {});
array flatten(const array& a, StreamOrDevice s = {});

/** Remove size-1 axes (the given ones, or all). */
array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array squeeze(const array& a, int axis, StreamOrDevice s = {});
array squeeze(const array& a, StreamOrDevice s = {});

/** Insert size-1 axes at the given positions of the output. */
array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array expand_dims(const array& a, int axis, StreamOrDevice s = {});

/** Reverse the order of elements along the given axes (all axes by default). */
array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array flip(const array& a, int axis, StreamOrDevice s = {});
array flip(const array& a, StreamOrDevice s = {});

/** a[start:stop:strides] per axis with NumPy's rules (negative indices, clamping, negative
 *  strides). */
array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s = {});
inline array slice(const array& a, std::initializer_list<int> start, Shape stop, Shape strides,
                   StreamOrDevice s = {}) {
  return slice(a, Shape(start), std::move(stop), std::move(strides), s);
}
array slice(const array& a, Shape start, Shape stop, StreamOrDevice s = {});

/** A slice of size slice_size starting at the (array) start indices along axes. As in MLX
 *  and JAX, starts are clamped so the slice lies inside a. */
array slice(const array& a, const array& start, std::vector<int> axes, Shape slice_size,
            StreamOrDevice s = {});

/** src with src[start:stop:strides] replaced by update (broadcast). */
array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s = {});
array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s = {});
/** src with the slice at the (array) start indices along axes replaced by update. Starts are
 *  clamped so the slice lies inside src. */
array slice_update(const array& src, const array& update, const array& start, std::vector<int> axes,
                   StreamOrDevice s = {});

/** src with update added to (multiplied into, max-ed, min-ed with) a slice. */
array slice_update_add(const array& src, const array& update, Shape start, Shape stop,
                       Shape strides, StreamOrDevice s = {});
array slice_update_add(const array& src, const array& update, Shape start, Shape stop,
                       StreamOrDevice s = {});
array slice_update_prod(const array& src, const array& update, Shape start, Shape stop,
                        Shape strides, StreamOrDevice s = {});
array slice_update_prod(const array& src, const array& update, Shape start, Shape stop,
                        StreamOrDevice s = {});
array slice_update_max(const array& src, const array& update, Shape start, Shape stop,
                       Shape strides, StreamOrDevice s = {});
array slice_update_max(const array& src, const array& update, Shape start, Shape stop,
                       StreamOrDevice s = {});
array slice_update_min(const array& src, const array& update, Shape start, Shape stop,
                       Shape strides, StreamOrDevice s = {});
array slice_update_min(const array& src, const array& update, Shape start, Shape stop,
                       StreamOrDevice s = {});

/** num_splits equal parts along axis, or parts split before each of indices. */
std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, int num_splits, StreamOrDevice s = {});
std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s = {});

/** The sub-arrays along axis, with that axis removed. */
std::vector<array> unstack(const array& a, int axis, StreamOrDevice s = {});
std::vector<array> unstack(const array& a, StreamOrDevice s = {});

/** Join arrays along an existing axis (flattened when no axis is given). */
array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s = {});
array concatenate(std::vector<array> arrays, StreamOrDevice s = {});

/** Join equally shaped arrays along a new axis. */
array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s = {});
array stack(const std::vector<array>& arrays, StreamOrDevice s = {});

/** Repeat each element repeats times along axis (the flattened array without axis). */
array repeat(const array& arr, int repeats, int axis, StreamOrDevice s = {});
array repeat(const array& arr, int repeats, StreamOrDevice s = {});

/** Tile arr reps times per axis. */
array tile(const array& arr, std::vector<int> reps, StreamOrDevice s = {});

/** Permute the axes (reverse them when none are given). */
array transpose(const array& a, std::vector<int> axes, StreamOrDevice s = {});
inline array transpose(const array& a, std::initializer_list<int> axes, StreamOrDevice s = {}) {
  return transpose(a, std::vector<int>(axes), s);
}
array transpose(const array& a, StreamOrDevice s = {});

array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s = {});
array moveaxis(const array& a, int source, int destination, StreamOrDevice s = {});

/** Pad with pad_value ("constant"), the edge value ("edge"), or a mirror image ("reflect",
 *  "symmetric"). */
array pad(const array& a, const std::vector<int>& axes, const Shape& low_pad_size,
          const Shape& high_pad_size, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width,
          const array& pad_value = array(0), const std::string& mode = "constant",
          StreamOrDevice s = {});
array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
array pad(const array& a, int pad_width, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});

/** A view of a broadcast to shape. */
array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s = {});
std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s = {});

/** Roll elements along axes (the flattened array when none are given). */
array roll(const array& a, int shift, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, StreamOrDevice s = {});
array roll(const array& a, int shift, int axis, StreamOrDevice s = {});
array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, const std::vector<int>& axes, StreamOrDevice s = {});

/** The diagonal of the axis1 x axis2 planes, moved to the last axis. */
array diagonal(const array& a, int offset = 0, int axis1 = 0, int axis2 = 1, StreamOrDevice s = {});
/** The k-th diagonal of a 2-D array, or a 2-D array with a 1-D array on diagonal k. */
array diag(const array& a, int k = 0, StreamOrDevice s = {});
/** Sum along a diagonal. */
array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s = {});
array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s = {});
array trace(const array& a, StreamOrDevice s = {});

array atleast_1d(const array& a, StreamOrDevice s = {});
std::vector<array> atleast_1d(const std::vector<array>& a, StreamOrDevice s = {});
array atleast_2d(const array& a, StreamOrDevice s = {});
std::vector<array> atleast_2d(const std::vector<array>& a, StreamOrDevice s = {});
array atleast_3d(const array& a, StreamOrDevice s = {});
std::vector<array> atleast_3d(const std::vector<array>& a, StreamOrDevice s = {});

/** The same bytes seen as another dtype; the last axis scales with the size ratio. */
array view(const array& a, const Dtype& dtype, StreamOrDevice s = {});

/** The identity; blocks gradients once transforms exist. */
array stop_gradient(const array& a, StreamOrDevice s = {});

/** a laid out row-major (or column-major when allowed). */
array contiguous(const array& a, bool allow_col_major = false, StreamOrDevice s = {});

/** The product of a's dimensions over axes (or its inverse) as a scalar of dtype. */
array number_of_elements(const array& a, std::vector<int> axes, bool inverted, Dtype dtype = int32,
                         StreamOrDevice s = {});

// --------------------------------------------------------------- unary ops

array abs(const array& a, StreamOrDevice s = {});
array positive(const array& a, StreamOrDevice s = {});
array negative(const array& a, StreamOrDevice s = {});
array operator-(const array& a);
array sign(const array& a, StreamOrDevice s = {});
array floor(const array& a, StreamOrDevice s = {});
array ceil(const array& a, StreamOrDevice s = {});
array trunc(const array& a, StreamOrDevice s = {});
/** Round half to even; with decimals, round(a * 10^d) / 10^d. */
array round(const array& a, int decimals, StreamOrDevice s = {});
inline array round(const array& a, StreamOrDevice s = {}) {
  return round(a, 0, s);
}
array sqrt(const array& a, StreamOrDevice s = {});
array rsqrt(const array& a, StreamOrDevice s = {});
array square(const array& a, StreamOrDevice s = {});
array reciprocal(const array& a, StreamOrDevice s = {});
array exp(const array& a, StreamOrDevice s = {});
array expm1(const array& a, StreamOrDevice s = {});
array log(const array& a, StreamOrDevice s = {});
array log1p(const array& a, StreamOrDevice s = {});
array log2(const array& a, StreamOrDevice s = {});
array log10(const array& a, StreamOrDevice s = {});
array sin(const array& a, StreamOrDevice s = {});
array cos(const array& a, StreamOrDevice s = {});
array tan(const array& a, StreamOrDevice s = {});
array arcsin(const array& a, StreamOrDevice s = {});
array arccos(const array& a, StreamOrDevice s = {});
array arctan(const array& a, StreamOrDevice s = {});
array sinh(const array& a, StreamOrDevice s = {});
array cosh(const array& a, StreamOrDevice s = {});
array tanh(const array& a, StreamOrDevice s = {});
array arcsinh(const array& a, StreamOrDevice s = {});
array arccosh(const array& a, StreamOrDevice s = {});
array arctanh(const array& a, StreamOrDevice s = {});
array erf(const array& a, StreamOrDevice s = {});
array erfinv(const array& a, StreamOrDevice s = {});
array sigmoid(const array& a, StreamOrDevice s = {});
array degrees(const array& a, StreamOrDevice s = {});
array radians(const array& a, StreamOrDevice s = {});
array logical_not(const array& a, StreamOrDevice s = {});
array bitwise_invert(const array& a, StreamOrDevice s = {});
array operator~(const array& a);
array isnan(const array& a, StreamOrDevice s = {});
array isinf(const array& a, StreamOrDevice s = {});
array isfinite(const array& a, StreamOrDevice s = {});
array isposinf(const array& a, StreamOrDevice s = {});
array isneginf(const array& a, StreamOrDevice s = {});
/** Replace NaN, +inf and -inf (default: the dtype's largest finite values). */
array nan_to_num(const array& a, float nan = 0.0f, const std::optional<float> posinf = std::nullopt,
                 const std::optional<float> neginf = std::nullopt, StreamOrDevice s = {});
array real(const array& a, StreamOrDevice s = {});
array imag(const array& a, StreamOrDevice s = {});
array conjugate(const array& a, StreamOrDevice s = {});

// -------------------------------------------------------------- binary ops

array add(const array& a, const array& b, StreamOrDevice s = {});
array subtract(const array& a, const array& b, StreamOrDevice s = {});
array multiply(const array& a, const array& b, StreamOrDevice s = {});
/** True division: integer inputs give float32. */
array divide(const array& a, const array& b, StreamOrDevice s = {});
/** Floor of the quotient for floats; for integers MLX truncates toward zero. */
array floor_divide(const array& a, const array& b, StreamOrDevice s = {});
/** Remainder with the sign of the divisor. */
array remainder(const array& a, const array& b, StreamOrDevice s = {});
/** {floor quotient, remainder}. */
std::vector<array> divmod(const array& a, const array& b, StreamOrDevice s = {});
array power(const array& a, const array& b, StreamOrDevice s = {});
array maximum(const array& a, const array& b, StreamOrDevice s = {});
array minimum(const array& a, const array& b, StreamOrDevice s = {});
array logaddexp(const array& a, const array& b, StreamOrDevice s = {});
array arctan2(const array& a, const array& b, StreamOrDevice s = {});

array equal(const array& a, const array& b, StreamOrDevice s = {});
array not_equal(const array& a, const array& b, StreamOrDevice s = {});
array less(const array& a, const array& b, StreamOrDevice s = {});
array less_equal(const array& a, const array& b, StreamOrDevice s = {});
array greater(const array& a, const array& b, StreamOrDevice s = {});
array greater_equal(const array& a, const array& b, StreamOrDevice s = {});

array logical_and(const array& a, const array& b, StreamOrDevice s = {});
array logical_or(const array& a, const array& b, StreamOrDevice s = {});
array logical_xor(const array& a, const array& b, StreamOrDevice s = {});

array bitwise_and(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_or(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_xor(const array& a, const array& b, StreamOrDevice s = {});
array left_shift(const array& a, const array& b, StreamOrDevice s = {});
array right_shift(const array& a, const array& b, StreamOrDevice s = {});

/** |a - b| <= atol + rtol * |b| elementwise, with infinities and NaNs as NumPy. */
array isclose(const array& a, const array& b, double rtol = 1e-5, double atol = 1e-8,
              bool equal_nan = false, StreamOrDevice s = {});
/** all(isclose(a, b, ...)). */
array allclose(const array& a, const array& b, double rtol = 1e-5, double atol = 1e-8,
               bool equal_nan = false, StreamOrDevice s = {});
/** Whether a and b have the same shape and values (a scalar bool). */
array array_equal(const array& a, const array& b, bool equal_nan, StreamOrDevice s = {});
inline array array_equal(const array& a, const array& b, StreamOrDevice s = {}) {
  return array_equal(a, b, false, s);
}

/** x where condition is true, y elsewhere (all three broadcast). */
array where(const array& condition, const array& x, const array& y, StreamOrDevice s = {});

/** a limited to [a_min, a_max]; at least one bound is required. */
array clip(const array& a, const std::optional<array>& a_min = std::nullopt,
           const std::optional<array>& a_max = std::nullopt, StreamOrDevice s = {});

// Operators, as MLX: a scalar operand becomes array(scalar).
array operator+(const array& a, const array& b);
template <typename T>
array operator+(T a, const array& b) {
  return add(array(a), b);
}
template <typename T>
array operator+(const array& a, T b) {
  return add(a, array(b));
}
array operator-(const array& a, const array& b);
template <typename T>
array operator-(T a, const array& b) {
  return subtract(array(a), b);
}
template <typename T>
array operator-(const array& a, T b) {
  return subtract(a, array(b));
}
array operator*(const array& a, const array& b);
template <typename T>
array operator*(T a, const array& b) {
  return multiply(array(a), b);
}
template <typename T>
array operator*(const array& a, T b) {
  return multiply(a, array(b));
}
array operator/(const array& a, const array& b);
array operator/(double a, const array& b);
array operator/(const array& a, double b);
array operator%(const array& a, const array& b);
template <typename T>
array operator%(T a, const array& b) {
  return remainder(array(a), b);
}
template <typename T>
array operator%(const array& a, T b) {
  return remainder(a, array(b));
}
array operator&&(const array& a, const array& b);
array operator||(const array& a, const array& b);
array operator&(const array& a, const array& b);
array operator|(const array& a, const array& b);
array operator^(const array& a, const array& b);
array operator<<(const array& a, const array& b);
array operator>>(const array& a, const array& b);

#define MLXCPP_COMPARISON_OPERATOR(OP, FN)                   \
  inline array operator OP(const array& a, const array& b) { \
    return FN(a, b);                                         \
  }                                                          \
  template <typename T>                                      \
  array operator OP(T a, const array& b) {                   \
    return FN(array(a), b);                                  \
  }                                                          \
  template <typename T>                                      \
  array operator OP(const array& a, T b) {                   \
    return FN(a, array(b));                                  \
  }
MLXCPP_COMPARISON_OPERATOR(==, equal)
MLXCPP_COMPARISON_OPERATOR(!=, not_equal)
MLXCPP_COMPARISON_OPERATOR(<, less)
MLXCPP_COMPARISON_OPERATOR(<=, less_equal)
MLXCPP_COMPARISON_OPERATOR(>, greater)
MLXCPP_COMPARISON_OPERATOR(>=, greater_equal)
#undef MLXCPP_COMPARISON_OPERATOR

// -------------------------------------------------------------- reductions

array all(const array& a, bool keepdims, StreamOrDevice s = {});
inline array all(const array& a, StreamOrDevice s = {}) {
  return all(a, false, s);
}
array all(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array all(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

array any(const array& a, bool keepdims, StreamOrDevice s = {});
inline array any(const array& a, StreamOrDevice s = {}) {
  return any(a, false, s);
}
array any(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array any(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/** Sum; small integer types accumulate in (u)int32, bool in int32. */
array sum(const array& a, bool keepdims, StreamOrDevice s = {});
inline array sum(const array& a, StreamOrDevice s = {}) {
  return sum(a, false, s);
}
array sum(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array sum(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

array prod(const array& a, bool keepdims, StreamOrDevice s = {});
inline array prod(const array& a, StreamOrDevice s = {}) {
  return prod(a, false, s);
}
array prod(const array& a, const std::vector<int>& axes, bool keepdims = false,
           StreamOrDevice s = {});
array prod(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

array max(const array& a, bool keepdims, StreamOrDevice s = {});
inline array max(const array& a, StreamOrDevice s = {}) {
  return max(a, false, s);
}
array max(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array max(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

array min(const array& a, bool keepdims, StreamOrDevice s = {});
inline array min(const array& a, StreamOrDevice s = {}) {
  return min(a, false, s);
}
array min(const array& a, const std::vector<int>& axes, bool keepdims = false,
          StreamOrDevice s = {});
array min(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

array mean(const array& a, bool keepdims, StreamOrDevice s = {});
inline array mean(const array& a, StreamOrDevice s = {}) {
  return mean(a, false, s);
}
array mean(const array& a, const std::vector<int>& axes, bool keepdims = false,
           StreamOrDevice s = {});
array mean(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/** Variance with ddof degrees of freedom removed from the count. */
array var(const array& a, bool keepdims, int ddof = 0, StreamOrDevice s = {});
inline array var(const array& a, StreamOrDevice s = {}) {
  return var(a, false, 0, s);
}
array var(const array& a, const std::vector<int>& axes, bool keepdims = false, int ddof = 0,
          StreamOrDevice s = {});
array var(const array& a, int axis, bool keepdims = false, int ddof = 0, StreamOrDevice s = {});

array std(const array& a, bool keepdims, int ddof = 0, StreamOrDevice s = {});
inline array std(const array& a, StreamOrDevice s = {}) {
  return std(a, false, 0, s);
}
array std(const array& a, const std::vector<int>& axes, bool keepdims = false, int ddof = 0,
          StreamOrDevice s = {});
array std(const array& a, int axis, bool keepdims = false, int ddof = 0, StreamOrDevice s = {});

array median(const array& a, bool keepdims, StreamOrDevice s = {});
inline array median(const array& a, StreamOrDevice s = {}) {
  return median(a, false, s);
}
array median(const array& a, const std::vector<int>& axes, bool keepdims = false,
             StreamOrDevice s = {});
array median(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/** log(sum(exp(a))) computed stably. */
array logsumexp(const array& a, bool keepdims, StreamOrDevice s = {});
inline array logsumexp(const array& a, StreamOrDevice s = {}) {
  return logsumexp(a, false, s);
}
array logsumexp(const array& a, const std::vector<int>& axes, bool keepdims = false,
                StreamOrDevice s = {});
array logsumexp(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

array count_nonzero(const array& a, bool keepdims = false, StreamOrDevice s = {});
array count_nonzero(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});
array count_nonzero(const array& a, const std::vector<int>& axes, bool keepdims = false,
                    StreamOrDevice s = {});

/** Index (uint32) of the first smallest / largest element. */
array argmin(const array& a, bool keepdims, StreamOrDevice s = {});
inline array argmin(const array& a, StreamOrDevice s = {}) {
  return argmin(a, false, s);
}
array argmin(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});
array argmax(const array& a, bool keepdims, StreamOrDevice s = {});
inline array argmax(const array& a, StreamOrDevice s = {}) {
  return argmax(a, false, s);
}
array argmax(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/** Softmax over the axes (all axes by default). precise accumulates half types in float32. */
array softmax(const array& a, const std::vector<int>& axes, bool precise = false,
              StreamOrDevice s = {});
array softmax(const array& a, bool precise = false, StreamOrDevice s = {});
inline array softmax(const array& a, int axis, bool precise = false, StreamOrDevice s = {}) {
  return softmax(a, std::vector<int>{axis}, precise, s);
}

// ------------------------------------------------------------------- scans

array cumsum(const array& a, bool reverse = false, bool inclusive = true,
             std::optional<Dtype> dtype = std::nullopt, StreamOrDevice s = {});
inline array cumsum(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return cumsum(a, reverse, inclusive, std::nullopt, s);
}
array cumsum(const array& a, int axis, bool reverse = false, bool inclusive = true,
             std::optional<Dtype> dtype = std::nullopt, StreamOrDevice s = {});
inline array cumsum(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return cumsum(a, axis, reverse, inclusive, std::nullopt, s);
}
array cumprod(const array& a, bool reverse = false, bool inclusive = true,
              std::optional<Dtype> dtype = std::nullopt, StreamOrDevice s = {});
inline array cumprod(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return cumprod(a, reverse, inclusive, std::nullopt, s);
}
array cumprod(const array& a, int axis, bool reverse = false, bool inclusive = true,
              std::optional<Dtype> dtype = std::nullopt, StreamOrDevice s = {});
inline array cumprod(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return cumprod(a, axis, reverse, inclusive, std::nullopt, s);
}
array cummax(const array& a, bool reverse = false, bool inclusive = true, StreamOrDevice s = {});
array cummax(const array& a, int axis, bool reverse = false, bool inclusive = true,
             StreamOrDevice s = {});
array cummin(const array& a, bool reverse = false, bool inclusive = true, StreamOrDevice s = {});
array cummin(const array& a, int axis, bool reverse = false, bool inclusive = true,
             StreamOrDevice s = {});
array logcumsumexp(const array& a, bool reverse = false, bool inclusive = true,
                   StreamOrDevice s = {});
array logcumsumexp(const array& a, int axis, bool reverse = false, bool inclusive = true,
                   StreamOrDevice s = {});

/** The n-th discrete difference along axis. */
array diff(const array& a, int n = 1, int axis = -1, StreamOrDevice s = {});

// -------------------------------------------------------------- convolution
// Channels last: input [N, *spatial, C_in], weight [C_out, *kernel, C_in / groups], output
// [N, *spatial_out, C_out], with 1 to 3 spatial axes. The input must be floating point
// (float16, bfloat16, float32, float64); the weight is promoted with it. Groups work in 3-D
// too (an extension: MLX allows them in 1-D and 2-D only).

/** Convolution with per-axis strides, low/high padding (negative values crop the dilated
 *  input), kernel dilation and input dilation (zeros inserted between input elements);
 *  flip turns the kernel around along every spatial axis. A parameter given as one value
 *  (or none) applies to every spatial axis. */
array conv_general(array input, array weight, std::vector<int> stride = {},
                   std::vector<int> padding_lo = {}, std::vector<int> padding_hi = {},
                   std::vector<int> kernel_dilation = {}, std::vector<int> input_dilation = {},
                   int groups = 1, bool flip = false, StreamOrDevice s = {});

/** conv_general with the same padding on both sides of each axis. */
inline array conv_general(const array& input, const array& weight, std::vector<int> stride = {},
                          std::vector<int> padding = {}, std::vector<int> kernel_dilation = {},
                          std::vector<int> input_dilation = {}, int groups = 1, bool flip = false,
                          StreamOrDevice s = {}) {
  return conv_general(input, weight, std::move(stride), padding, padding,
                      std::move(kernel_dilation), std::move(input_dilation), groups, flip, s);
}

/** 1-D convolution: input [N, L, C_in], weight [C_out, K, C_in / groups]. */
array conv1d(const array& input, const array& weight, int stride = 1, int padding = 0,
             int dilation = 1, int groups = 1, StreamOrDevice s = {});

/** 2-D convolution: input [N, H, W, C_in], weight [C_out, KH, KW, C_in / groups]. */
array conv2d(const array& input, const array& weight, const std::pair<int, int>& stride = {1, 1},
             const std::pair<int, int>& padding = {0, 0},
             const std::pair<int, int>& dilation = {1, 1}, int groups = 1, StreamOrDevice s = {});

/** 3-D convolution: input [N, D, H, W, C_in], weight [C_out, KD, KH, KW, C_in / groups]. */
array conv3d(const array& input, const array& weight,
             const std::tuple<int, int, int>& stride = {1, 1, 1},
             const std::tuple<int, int, int>& padding = {0, 0, 0},
             const std::tuple<int, int, int>& dilation = {1, 1, 1}, int groups = 1,
             StreamOrDevice s = {});

/** Transposed 1-D convolution (the gradient of conv1d with respect to its input), weight
 *  [C_out, K, C_in / groups]: L_out = (L - 1) * stride - 2 * padding + dilation * (K - 1) +
 *  output_padding + 1. padding and output_padding must be non-negative. */
array conv_transpose1d(const array& input, const array& weight, int stride = 1, int padding = 0,
                       int dilation = 1, int output_padding = 0, int groups = 1,
                       StreamOrDevice s = {});

/** Transposed 2-D convolution, per axis as conv_transpose1d. */
array conv_transpose2d(const array& input, const array& weight,
                       const std::pair<int, int>& stride = {1, 1},
                       const std::pair<int, int>& padding = {0, 0},
                       const std::pair<int, int>& dilation = {1, 1},
                       const std::pair<int, int>& output_padding = {0, 0}, int groups = 1,
                       StreamOrDevice s = {});

/** Transposed 3-D convolution, per axis as conv_transpose1d. */
array conv_transpose3d(const array& input, const array& weight,
                       const std::tuple<int, int, int>& stride = {1, 1, 1},
                       const std::tuple<int, int, int>& padding = {0, 0, 0},
                       const std::tuple<int, int, int>& dilation = {1, 1, 1},
                       const std::tuple<int, int, int>& output_padding = {0, 0, 0}, int groups = 1,
                       StreamOrDevice s = {});

// ------------------------------------------------------------ quantization
// MLX's formats (mode, default group_size / bits): "affine" (64 / 4; bits 2, 3, 4, 5, 6 or 8,
// group_size 32, 64 or 128; codes packed into uint32 words as one little-endian bit stream per
// row, w ~ q * scale + bias), "mxfp4" (32 / 4) and "mxfp8" (32 / 8) with e8m0 scales, "nvfp4"
// (16 / 4) with e4m3 scales and an optional float32 global scale. quantize and dequantize match
// MLX bit for bit. Weights and activations are float32, float16 or bfloat16.

/** MLX's default {group_size, bits} of a quantization mode (std::invalid_argument for an
 *  unknown mode). (Our addition, for callers that take them as optional.) */
std::pair<int, int> quantization_defaults(const std::string& mode);

/** Throws std::invalid_argument, as quantize would, unless the mode has this group size and
 *  bit width. (Our addition, for checking a configuration before any array exists.) */
void check_quantization(const std::string& mode, int group_size, int bits);

/** Quantize w along its last axis: {w_q, scales, biases} (affine) or {w_q, scales}. */
std::vector<array> quantize(const array& w, std::optional<int> group_size = std::nullopt,
                            std::optional<int> bits = std::nullopt,
                            const std::string& mode = "affine",
                            const std::optional<array>& global_scale = std::nullopt,
                            StreamOrDevice s = {});

/** The weight quantize packed; dtype defaults to the scales' (and biases') type for affine
 *  and to bfloat16 for the fp modes. */
array dequantize(const array& w, const array& scales,
                 const std::optional<array>& biases = std::nullopt,
                 std::optional<int> group_size = std::nullopt,
                 std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                 const std::optional<array>& global_scale = std::nullopt,
                 std::optional<Dtype> dtype = std::nullopt, StreamOrDevice s = {});

/** x @ dequantize(w).T (transpose) or x @ dequantize(w), without materialising the weight.
 *  Batch axes broadcast when both x and w have them. */
array quantized_matmul(const array& x, const array& w, const array& scales,
                       const std::optional<array>& biases = std::nullopt, bool transpose = true,
                       std::optional<int> group_size = std::nullopt,
                       std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                       StreamOrDevice s = {});

/** {quantized_matmul(x, w[i], scales[i], biases[i])} (transposed; 2-D w of one input size
 *  and format; biases only for affine) in one pass over x. An mlxcpp extension. */
std::vector<array> quantized_matmul_many(const array& x, const std::vector<array>& w,
                                         const std::vector<array>& scales,
                                         const std::vector<array>& biases,
                                         std::optional<int> group_size = std::nullopt,
                                         std::optional<int> bits = std::nullopt,
                                         const std::string& mode = "affine", StreamOrDevice s = {});

/** quantized_matmul of x[lhs_indices] with w[rhs_indices], indices picking matrices of each
 *  operand's flattened batch (default: all, in order); the result has the broadcast index
 *  shape + [M, N]. Out-of-range indices throw from eval. */
array gather_qmm(const array& x, const array& w, const array& scales,
                 const std::optional<array>& biases = std::nullopt,
                 std::optional<array> lhs_indices = std::nullopt,
                 std::optional<array> rhs_indices = std::nullopt, bool transpose = true,
                 std::optional<int> group_size = std::nullopt,
                 std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                 bool sorted_indices = false, StreamOrDevice s = {});

/** E4M3 codes (uint8) to floats of dtype. */
array from_fp8(array x, Dtype dtype, StreamOrDevice s = {});

/** Floats to E4M3 codes (uint8): round to nearest even, saturating at +-448. */
array to_fp8(array x, StreamOrDevice s = {});

// ---------------------------------------------------------- matrix products

/** Matrix product with NumPy's rules: batch axes broadcast, 1-D operands become a row
 *  (first) or column (second) that is removed from the result. Floating types use BLAS
 *  (half types accumulate in float32); integers are exact (an extension over MLX). */
array matmul(const array& a, const array& b, StreamOrDevice s = {});

/** beta * c + alpha * (a @ b). */
array addmm(array c, array a, array b, const float& alpha = 1.f, const float& beta = 1.f,
            StreamOrDevice s = {});

/** Matrix products with blocks of the output and operands masked (bool) or scaled (float);
 *  masks have one entry per block_size x block_size block (32 or 64). */
array block_masked_mm(array a, array b, int block_size,
                      std::optional<array> mask_out = std::nullopt,
                      std::optional<array> mask_lhs = std::nullopt,
                      std::optional<array> mask_rhs = std::nullopt, StreamOrDevice s = {});

/** a[lhs_indices] @ b[rhs_indices], indices picking matrices of each operand's flattened
 *  batch (default: all, in order). Out-of-range indices throw from eval. */
array gather_mm(array a, array b, std::optional<array> lhs_indices = std::nullopt,
                std::optional<array> rhs_indices = std::nullopt, bool sorted_indices = false,
                StreamOrDevice s = {});

/** Contraction of the last `axis` axes of a with the first of b. */
array tensordot(const array& a, const array& b, const int axis = 2, StreamOrDevice s = {});
/** Contraction of axes_a of a with axes_b of b. */
array tensordot(const array& a, const array& b, const std::vector<int>& axes_a,
                const std::vector<int>& axes_b, StreamOrDevice s = {});

/** Outer product of the flattened inputs. */
array outer(const array& a, const array& b, StreamOrDevice s = {});
/** Inner product over the last axes (a product for scalars). */
array inner(const array& a, const array& b, StreamOrDevice s = {});
/** sum(conj(a) * b) along axis. */
array vecdot(const array& a, const array& b, int axis = -1, StreamOrDevice s = {});
/** Kronecker product. */
array kron(const array& a, const array& b, StreamOrDevice s = {});

/** The Walsh-Hadamard transform along the last axis, of size m * 2^k with m in
 *  {1, 12, 20, 28}, times scale (default 1 / sqrt(size), which makes it orthonormal).
 *  Integer inputs give float32. */
array hadamard_transform(const array& a, std::optional<float> scale = std::nullopt,
                         StreamOrDevice s = {});

// ---------------------------------------------------------------- indexing
// Index arrays are integers of any width; an index i into an axis of size n must lie in
// [-n, n), negatives counting from the end. Bad index values throw std::invalid_argument
// from eval (MLX leaves them undefined).

/** Slices of a of size slice_sizes starting at the positions that the (broadcast) index
 *  arrays give along axes; the result has shape index_shape + slice_sizes. */
array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes, StreamOrDevice s = {});
inline array gather(const array& a, const array& indices, int axis, const Shape& slice_sizes,
                    StreamOrDevice s = {}) {
  return gather(a, std::vector<array>{indices}, std::vector<int>{axis}, slice_sizes, s);
}

/** Entries of a at indices along axis (of the flattened array without axis); the index
 *  dimensions replace the axis. An int index removes the axis and is checked here. */
array take(const array& a, const array& indices, int axis, StreamOrDevice s = {});
array take(const array& a, const array& indices, StreamOrDevice s = {});
array take(const array& a, int index, int axis, StreamOrDevice s = {});
array take(const array& a, int index, StreamOrDevice s = {});

/** out[..., i, ...] = a[..., indices[..., i, ...], ...] along axis; a and indices have
 *  equal ndim and broadcast in every other dimension. */
array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s = {});

/** a with values written at indices along axis (the inverse of take_along_axis). */
array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s = {});
/** a with values added at indices along axis; repeated indices accumulate. */
array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s = {});

/** a with slices of updates ([index_shape..., slice...], slice of a.ndim() dims) written
 *  at the positions the index arrays give along axes; with repeats the last one wins. */
array scatter(const array& a, const std::vector<array>& indices, const array& updates,
              const std::vector<int>& axes, StreamOrDevice s = {});
/** scatter that adds, multiplies, or keeps the maximum or minimum at each position. */
array scatter_add(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_prod(const array& a, const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_max(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_min(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
inline array scatter(const array& a, const array& indices, const array& updates, int axis,
                     StreamOrDevice s = {}) {
  return scatter(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}
inline array scatter_add(const array& a, const array& indices, const array& updates, int axis,
                         StreamOrDevice s = {}) {
  return scatter_add(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}
inline array scatter_prod(const array& a, const array& indices, const array& updates, int axis,
                          StreamOrDevice s = {}) {
  return scatter_prod(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}
inline array scatter_max(const array& a, const array& indices, const array& updates, int axis,
                         StreamOrDevice s = {}) {
  return scatter_max(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}
inline array scatter_min(const array& a, const array& indices, const array& updates, int axis,
                         StreamOrDevice s = {}) {
  return scatter_min(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);
}

/** a with the positions where mask (bool, a's leading dimensions) is true filled, in
 *  row-major order, from src ([count, trailing dims...]; fewer dims broadcast, so a scalar
 *  fills them all). Too few values throw from eval. */
array masked_scatter(const array& a, const array& mask, const array& src, StreamOrDevice s = {});

// ----------------------------------------------------------------- sorting

/** Sorted copy along axis (the flattened array without axis); NaN sorts last. Stable. */
array sort(const array& a, StreamOrDevice s = {});
array sort(const array& a, int axis, StreamOrDevice s = {});
/** Indices (uint32) that sort a along axis; stable. */
array argsort(const array& a, StreamOrDevice s = {});
array argsort(const array& a, int axis, StreamOrDevice s = {});

/** Copy of a along axis (the flattened array without axis) with element kth (negative
 *  counts from the end) in its sorted place, smaller-or-equal before it and
 *  greater-or-equal after. */
array partition(const array& a, int kth, StreamOrDevice s = {});
array partition(const array& a, int kth, int axis, StreamOrDevice s = {});
/** Indices (uint32) that partition a as partition does. */
array argpartition(const array& a, int kth, StreamOrDevice s = {});
array argpartition(const array& a, int kth, int axis, StreamOrDevice s = {});
/** The k largest entries along axis (the flattened array without axis), in no set order. */
array topk(const array& a, int k, StreamOrDevice s = {});
array topk(const array& a, int k, int axis, StreamOrDevice s = {});

/** Insertion points (uint32) of values in the sorted 1-D sequence: the first position
 *  whose entry is not less ("left") or greater ("right") than the value. */
array searchsorted(const array& sorted_sequence, const array& values,
                   const std::string& side = "left", StreamOrDevice s = {});

}  // namespace mlxcpp
