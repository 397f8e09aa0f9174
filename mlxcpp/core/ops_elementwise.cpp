// Elementwise ops: unary math, binary arithmetic, comparisons, logic,
// bitwise ops, where, clip, isclose.
#include <cmath>
#include <limits>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/ops_common.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

using detail::at_least_float;
using detail::invalid;

namespace {

template <typename P, typename... Args>
array unary_same(const array& a, StreamOrDevice s, Args... args) {
  return array(a.shape(), a.dtype(), std::make_shared<P>(to_stream(s), args...), {a});
}

// Unary op on a floating point result: integer inputs become float32.
template <typename P, typename... Args>
array unary_float(const array& a, StreamOrDevice s, Args... args) {
  const Dtype dtype = at_least_float(a.dtype());
  return array(a.shape(), dtype, std::make_shared<P>(to_stream(s), args...), {astype(a, dtype, s)});
}

void reject_complex(const char* op, const array& a) {
  if (a.dtype() == complex64) {
    invalid(op, "Not supported for complex64.");
  }
}

// Binary op whose inputs are promoted to `dtype` and broadcast together.
template <typename P, typename... Args>
array binary(const array& a, const array& b, Dtype dtype, Dtype out_dtype, StreamOrDevice s,
             Args... args) {
  auto inputs = broadcast_arrays({astype(a, dtype, s), astype(b, dtype, s)}, s);
  auto shape = inputs[0].shape();
  return array(std::move(shape), out_dtype, std::make_shared<P>(to_stream(s), args...),
               std::move(inputs));
}

template <typename P>
array arithmetic(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  return binary<P>(a, b, dtype, dtype, s);
}

template <typename P, typename... Args>
array comparison(const array& a, const array& b, StreamOrDevice s, Args... args) {
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  return binary<P>(a, b, dtype, bool_, s, args...);
}

}  // namespace

// ------------------------------------------------------------------- unary

array abs(const array& a, StreamOrDevice s) {
  auto out = unary_same<Abs>(a, s);
  return a.dtype() == complex64 ? astype(out, float32, s) : out;
}

array positive(const array& a, StreamOrDevice) {
  return a;
}

array negative(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) {
    invalid("negative", "Not supported for bool; use logical_not instead.");
  }
  return unary_same<Negative>(a, s);
}

array operator-(const array& a) {
  return negative(a);
}

array sign(const array& a, StreamOrDevice s) {
  return unary_same<Sign>(a, s);
}

array floor(const array& a, StreamOrDevice s) {
  reject_complex("floor", a);
  return unary_same<Floor>(a, s);
}

array ceil(const array& a, StreamOrDevice s) {
  reject_complex("ceil", a);
  return unary_same<Ceil>(a, s);
}

array trunc(const array& a, StreamOrDevice s) {
  reject_complex("trunc", a);
  if (issubdtype(a.dtype(), integer) || a.dtype() == bool_) {
    return a;
  }
  auto zero = array(0, a.dtype());
  return where(less(a, zero, s), ceil(a, s), floor(a, s), s);
}

array round(const array& a, int decimals, StreamOrDevice s) {
  reject_complex("round", a);
  if (decimals == 0) {
    return unary_same<Round>(a, s);
  }
  // As MLX: scale in float, round half to even, scale back, restore the dtype.
  const Dtype dtype = at_least_float(a.dtype());
  const float scale = static_cast<float>(std::pow(10.0, decimals));
  auto result = multiply(a, array(scale, dtype), s);
  result = unary_same<Round>(result, s);
  return astype(multiply(result, array(1.0f / scale, dtype), s), a.dtype(), s);
}

array sqrt(const array& a, StreamOrDevice s) {
  return unary_float<Sqrt>(a, s);
}
array rsqrt(const array& a, StreamOrDevice s) {
  return unary_float<Rsqrt>(a, s);
}
array square(const array& a, StreamOrDevice s) {
  return unary_same<Square>(a, s);
}

array reciprocal(const array& a, StreamOrDevice s) {
  const Dtype dtype = at_least_float(a.dtype());
  return divide(array(1.0f, dtype), a, s);
}

array exp(const array& a, StreamOrDevice s) {
  return unary_float<Exp>(a, s);
}
array expm1(const array& a, StreamOrDevice s) {
  reject_complex("expm1", a);
  return unary_float<Expm1>(a, s);
}
array log(const array& a, StreamOrDevice s) {
  return unary_float<Log>(a, s, Log::e);
}
array log2(const array& a, StreamOrDevice s) {
  return unary_float<Log>(a, s, Log::two);
}
array log10(const array& a, StreamOrDevice s) {
  return unary_float<Log>(a, s, Log::ten);
}
array log1p(const array& a, StreamOrDevice s) {
  reject_complex("log1p", a);
  return unary_float<Log1p>(a, s);
}
array sin(const array& a, StreamOrDevice s) {
  return unary_float<Sin>(a, s);
}
array cos(const array& a, StreamOrDevice s) {
  return unary_float<Cos>(a, s);
}
array tan(const array& a, StreamOrDevice s) {
  return unary_float<Tan>(a, s);
}
array arcsin(const array& a, StreamOrDevice s) {
  return unary_float<ArcSin>(a, s);
}
array arccos(const array& a, StreamOrDevice s) {
  return unary_float<ArcCos>(a, s);
}
array arctan(const array& a, StreamOrDevice s) {
  return unary_float<ArcTan>(a, s);
}
array sinh(const array& a, StreamOrDevice s) {
  return unary_float<Sinh>(a, s);
}
array cosh(const array& a, StreamOrDevice s) {
  return unary_float<Cosh>(a, s);
}
array tanh(const array& a, StreamOrDevice s) {
  return unary_float<Tanh>(a, s);
}
array arcsinh(const array& a, StreamOrDevice s) {
  return unary_float<ArcSinh>(a, s);
}
array arccosh(const array& a, StreamOrDevice s) {
  return unary_float<ArcCosh>(a, s);
}
array arctanh(const array& a, StreamOrDevice s) {
  return unary_float<ArcTanh>(a, s);
}
array erf(const array& a, StreamOrDevice s) {
  reject_complex("erf", a);
  return unary_float<Erf>(a, s);
}
array erfinv(const array& a, StreamOrDevice s) {
  reject_complex("erfinv", a);
  return unary_float<ErfInv>(a, s);
}
array sigmoid(const array& a, StreamOrDevice s) {
  reject_complex("sigmoid", a);
  return unary_float<Sigmoid>(a, s);
}

array degrees(const array& a, StreamOrDevice s) {
  return multiply(a, array(180.0 / M_PI, at_least_float(a.dtype())), s);
}
array radians(const array& a, StreamOrDevice s) {
  return multiply(a, array(M_PI / 180.0, at_least_float(a.dtype())), s);
}

array logical_not(const array& a, StreamOrDevice s) {
  return array(a.shape(), bool_, std::make_shared<LogicalNot>(to_stream(s)), {astype(a, bool_, s)});
}

array bitwise_invert(const array& a, StreamOrDevice s) {
  if (issubdtype(a.dtype(), inexact)) {
    invalid("bitwise_invert", "Only allowed on integer types; got {}.", dtype_name(a.dtype()));
  }
  if (a.dtype() == bool_) {
    return logical_not(a, s);
  }
  return unary_same<BitwiseInvert>(a, s);
}

array operator~(const array& a) {
  return bitwise_invert(a);
}

namespace {
bool has_no_special_values(const array& a) {
  return issubdtype(a.dtype(), integer) || a.dtype() == bool_;
}
}  // namespace

array isnan(const array& a, StreamOrDevice s) {
  if (has_no_special_values(a)) {
    return full(a.shape(), false, bool_, s);
  }
  return not_equal(a, a, s);
}

array isinf(const array& a, StreamOrDevice s) {
  if (has_no_special_values(a)) {
    return full(a.shape(), false, bool_, s);
  }
  if (a.dtype() == complex64) {
    return logical_or(isinf(real(a, s), s), isinf(imag(a, s), s), s);
  }
  return logical_or(isposinf(a, s), isneginf(a, s), s);
}

array isfinite(const array& a, StreamOrDevice s) {
  if (has_no_special_values(a)) {
    return full(a.shape(), true, bool_, s);
  }
  return logical_not(logical_or(isinf(a, s), isnan(a, s), s), s);
}

array isposinf(const array& a, StreamOrDevice s) {
  if (has_no_special_values(a)) {
    return full(a.shape(), false, bool_, s);
  }
  return equal(a, array(std::numeric_limits<float>::infinity(), a.dtype()), s);
}

array isneginf(const array& a, StreamOrDevice s) {
  if (has_no_special_values(a)) {
    return full(a.shape(), false, bool_, s);
  }
  return equal(a, array(-std::numeric_limits<float>::infinity(), a.dtype()), s);
}

array nan_to_num(const array& a, float nan, const std::optional<float> posinf_,
                 const std::optional<float> neginf_, StreamOrDevice s) {
  const Dtype dtype = a.dtype();
  if (!issubdtype(dtype, inexact)) {
    return a;
  }
  if (dtype == complex64) {
    invalid("nan_to_num", "Not supported for complex64.");
  }
  const double largest = finfo(dtype).max;
  const double posinf = posinf_ ? *posinf_ : largest;
  const double neginf = neginf_ ? *neginf_ : -largest;
  auto out = where(isnan(a, s), array(nan, dtype), a, s);
  out = where(isposinf(a, s), array(posinf, dtype), out, s);
  out = where(isneginf(a, s), array(neginf, dtype), out, s);
  return out;
}

array real(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) {
    return a;
  }
  return array(a.shape(), float32, std::make_shared<Real>(to_stream(s)), {a});
}

array imag(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) {
    return zeros_like(a, s);
  }
  return array(a.shape(), float32, std::make_shared<Imag>(to_stream(s)), {a});
}

array conjugate(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) {
    return a;
  }
  return unary_same<Conjugate>(a, s);
}

// ------------------------------------------------------------------ binary

array add(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic<Add>(a, b, s);
}
array subtract(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic<Subtract>(a, b, s);
}
array multiply(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic<Multiply>(a, b, s);
}

array divide(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = at_least_float(promote_types(a.dtype(), b.dtype()));
  return binary<Divide>(a, b, dtype, dtype, s);
}

array floor_divide(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  if (issubdtype(dtype, inexact)) {
    return floor(divide(a, b, s), s);
  }
  // MLX's integer floor_divide is its Divide primitive, which truncates.
  return binary<Divide>(a, b, dtype, dtype, s);
}

array remainder(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  if (dtype == complex64) {
    invalid("remainder", "Complex type not supported.");
  }
  return binary<Remainder>(a, b, dtype, dtype, s);
}

std::vector<array> divmod(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  if (dtype == complex64) {
    invalid("divmod", "Complex type not supported.");
  }
  auto inputs = broadcast_arrays({astype(a, dtype, s), astype(b, dtype, s)}, s);
  return array::make_arrays({inputs[0].shape(), inputs[0].shape()}, {dtype, dtype},
                            std::make_shared<DivMod>(to_stream(s)), inputs);
}

array power(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic<Power>(a, b, s);
}
array maximum(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic<Maximum>(a, b, s);
}
array minimum(const array& a, const array& b, StreamOrDevice s) {
  return arithmetic<Minimum>(a, b, s);
}

array logaddexp(const array& a, const array& b, StreamOrDevice s) {
  const Dtype dtype = at_least_float(promote_types(a.dtype(), b.dtype()));
  if (dtype == complex64) {
    invalid("logaddexp", "Not supported for complex64.");
  }
  return binary<LogAddExp>(a, b, dtype, dtype, s);
}

array arctan2(const array& a, const array& b, StreamOrDevice s) {
  if (a.dtype() == complex64 || b.dtype() == complex64) {
    invalid("arctan2", "Not supported for complex64.");
  }
  const Dtype dtype = at_least_float(promote_types(a.dtype(), b.dtype()));
  return binary<ArcTan2>(a, b, dtype, dtype, s);
}

array equal(const array& a, const array& b, StreamOrDevice s) {
  return comparison<Equal>(a, b, s);
}
array not_equal(const array& a, const array& b, StreamOrDevice s) {
  return comparison<NotEqual>(a, b, s);
}
array less(const array& a, const array& b, StreamOrDevice s) {
  return comparison<Less>(a, b, s);
}
array less_equal(const array& a, const array& b, StreamOrDevice s) {
  return comparison<LessEqual>(a, b, s);
}
array greater(const array& a, const array& b, StreamOrDevice s) {
  return comparison<Greater>(a, b, s);
}
array greater_equal(const array& a, const array& b, StreamOrDevice s) {
  return comparison<GreaterEqual>(a, b, s);
}

array logical_and(const array& a, const array& b, StreamOrDevice s) {
  return binary<LogicalAnd>(a, b, bool_, bool_, s);
}
array logical_or(const array& a, const array& b, StreamOrDevice s) {
  return binary<LogicalOr>(a, b, bool_, bool_, s);
}
array logical_xor(const array& a, const array& b, StreamOrDevice s) {
  return not_equal(astype(a, bool_, s), astype(b, bool_, s), s);
}

namespace {
array bitwise(const array& a, const array& b, BitwiseBinary::Op op, const char* name, Dtype dtype,
              StreamOrDevice s) {
  if (!(issubdtype(dtype, integer) || dtype == bool_)) {
    invalid(name, "Only allowed on integer or boolean types; got {} and {}.", dtype_name(a.dtype()),
            dtype_name(b.dtype()));
  }
  return binary<BitwiseBinary>(a, b, dtype, dtype, s, op);
}
}  // namespace

array bitwise_and(const array& a, const array& b, StreamOrDevice s) {
  return bitwise(a, b, BitwiseBinary::And, "bitwise_and", result_type(a, b), s);
}
array bitwise_or(const array& a, const array& b, StreamOrDevice s) {
  return bitwise(a, b, BitwiseBinary::Or, "bitwise_or", result_type(a, b), s);
}
array bitwise_xor(const array& a, const array& b, StreamOrDevice s) {
  return bitwise(a, b, BitwiseBinary::Xor, "bitwise_xor", result_type(a, b), s);
}
array left_shift(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = result_type(a, b);
  t = t == bool_ ? uint8 : t;
  return bitwise(a, b, BitwiseBinary::LeftShift, "left_shift", t, s);
}
array right_shift(const array& a, const array& b, StreamOrDevice s) {
  Dtype t = result_type(a, b);
  t = t == bool_ ? uint8 : t;
  return bitwise(a, b, BitwiseBinary::RightShift, "right_shift", t, s);
}

array isclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
              StreamOrDevice s) {
  // |a - b| <= atol + rtol * |b|, then infinities: equal ones match, others do not.
  auto rhs = add(array(atol), multiply(array(rtol), abs(b, s), s), s);
  auto lhs = abs(subtract(a, b, s), s);
  auto out = less_equal(lhs, rhs, s);
  auto a_pos = isposinf(a, s);
  auto b_pos = isposinf(b, s);
  auto a_neg = isneginf(a, s);
  auto b_neg = isneginf(b, s);
  auto any_inf = logical_or(logical_or(a_pos, a_neg, s), logical_or(b_pos, b_neg, s), s);
  auto both_inf = logical_or(logical_and(a_pos, b_pos, s), logical_and(a_neg, b_neg, s), s);
  out = logical_and(out, logical_not(any_inf, s), s);
  out = logical_or(out, both_inf, s);
  if (equal_nan) {
    out = logical_or(out, logical_and(isnan(a, s), isnan(b, s), s), s);
  }
  return out;
}

array allclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
               StreamOrDevice s) {
  return all(isclose(a, b, rtol, atol, equal_nan, s), s);
}

array array_equal(const array& a, const array& b, bool equal_nan, StreamOrDevice s) {
  if (a.shape() != b.shape()) {
    return array(false);
  }
  const Dtype dtype = promote_types(a.dtype(), b.dtype());
  equal_nan &= issubdtype(dtype, inexact);
  return all(array(a.shape(), bool_, std::make_shared<Equal>(to_stream(s), equal_nan),
                   {astype(a, dtype, s), astype(b, dtype, s)}),
             false, s);
}

array where(const array& condition, const array& x, const array& y, StreamOrDevice s) {
  const Dtype dtype = promote_types(x.dtype(), y.dtype());
  auto inputs =
      broadcast_arrays({astype(condition, bool_, s), astype(x, dtype, s), astype(y, dtype, s)}, s);
  auto shape = inputs[0].shape();
  return array(std::move(shape), dtype, std::make_shared<Select>(to_stream(s)), std::move(inputs));
}

array clip(const array& a, const std::optional<array>& a_min, const std::optional<array>& a_max,
           StreamOrDevice s) {
  if (!a_min.has_value() && !a_max.has_value()) {
    invalid("clip", "At most one of a_min and a_max may be None.");
  }
  array result = a;
  if (a_min) {
    result = maximum(result, *a_min, s);
  }
  if (a_max) {
    result = minimum(result, *a_max, s);
  }
  return result;
}

// --------------------------------------------------------------- operators

array operator+(const array& a, const array& b) {
  return add(a, b);
}
array operator-(const array& a, const array& b) {
  return subtract(a, b);
}
array operator*(const array& a, const array& b) {
  return multiply(a, b);
}
array operator/(const array& a, const array& b) {
  return divide(a, b);
}
array operator/(double a, const array& b) {
  return divide(array(a), b);
}
array operator/(const array& a, double b) {
  return divide(a, array(b));
}
array operator%(const array& a, const array& b) {
  return remainder(a, b);
}
array operator&&(const array& a, const array& b) {
  return logical_and(a, b);
}
array operator||(const array& a, const array& b) {
  return logical_or(a, b);
}
array operator&(const array& a, const array& b) {
  return bitwise_and(a, b);
}
array operator|(const array& a, const array& b) {
  return bitwise_or(a, b);
}
array operator^(const array& a, const array& b) {
  return bitwise_xor(a, b);
}
array operator<<(const array& a, const array& b) {
  return left_shift(a, b);
}
array operator>>(const array& a, const array& b) {
  return right_shift(a, b);
}

}  // namespace mlxcpp
