// Unary elementwise kernels: one functor per primitive.
#include <cmath>
#include <complex>
#include <limits>
#include <string>

#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/elementwise.h"
#include "mlxcpp/backend/cpu/math.h"
#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

using cpu::TypeTag;

template <typename T>
constexpr bool is_float_v = std::is_floating_point_v<T> || is_half_v<T>;
template <typename T>
constexpr bool is_inexact_v = is_float_v<T> || std::is_same_v<T, complex64_t>;

// Op functors. `supports<T>` says which input types the op accepts; the op
// functions in core/ops.cpp already promote arguments, so an unsupported type
// here means a primitive was built directly with a wrong dtype.

struct AbsOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) {
      return x;
    } else if constexpr (std::is_integral_v<T>) {
      return x < 0 ? cpu::wrap_neg(x) : x;
    } else if constexpr (std::is_same_v<T, complex64_t>) {
      return complex64_t(std::abs(static_cast<std::complex<float>>(x)), 0.0f);
    } else {
      return std::fabs(x);
    }
  }
};

struct NegativeOp {
  template <typename T>
  static constexpr bool supports = !std::is_same_v<T, bool>;
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) {
      return cpu::wrap_neg(x);
    } else {
      return -x;
    }
  }
};

struct SignOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) {
      return x;
    } else if constexpr (std::is_unsigned_v<T>) {
      return x == 0 ? T(0) : T(1);
    } else if constexpr (std::is_same_v<T, complex64_t>) {
      if (x.real() == 0 && x.imag() == 0) {
        return x;
      }
      return complex64_t(static_cast<std::complex<float>>(x) /
                         std::abs(static_cast<std::complex<float>>(x)));
    } else {
      return x < T(0) ? T(-1) : (x > T(0) ? T(1) : T(0));
    }
  }
};

// Floor, ceil and round leave integers as they are.
#define MLXCPP_ROUNDING_OP(NAME, FN)                                  \
  struct NAME {                                                       \
    template <typename T>                                             \
    static constexpr bool supports = !std::is_same_v<T, complex64_t>; \
    template <typename T>                                             \
    T operator()(T x) const {                                         \
      if constexpr (std::is_integral_v<T>) {                          \
        return x;                                                     \
      } else {                                                        \
        return FN(x);                                                 \
      }                                                               \
    }                                                                 \
  };
MLXCPP_ROUNDING_OP(FloorOp, std::floor)
MLXCPP_ROUNDING_OP(CeilOp, std::ceil)
MLXCPP_ROUNDING_OP(RoundOp, std::rint)  // half to even
#undef MLXCPP_ROUNDING_OP

struct SquareOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) {
      return cpu::wrap_mul(x, x);
    } else {
      return x * x;
    }
  }
};

// A complex64_t as std::complex; a call (not a cast) so it stays type-dependent.
template <typename T>
std::complex<float> as_std(const T& x) {
  return static_cast<std::complex<float>>(x);
}

// Transcendental functions of float types (and complex where std has them).
#define MLXCPP_FLOAT_OP(NAME, FN, COMPLEX)                                                         \
  struct NAME {                                                                                    \
    template <typename T>                                                                          \
    static constexpr bool supports = is_float_v<T> || (COMPLEX && std::is_same_v<T, complex64_t>); \
    template <typename T>                                                                          \
    T operator()(T x) const {                                                                      \
      if constexpr (std::is_same_v<T, complex64_t>) {                                              \
        return complex64_t(FN(as_std(x)));                                                         \
      } else {                                                                                     \
        return FN(x);                                                                              \
      }                                                                                            \
    }                                                                                              \
  };
MLXCPP_FLOAT_OP(SqrtOp, std::sqrt, true)
MLXCPP_FLOAT_OP(LogOp, std::log, true)
MLXCPP_FLOAT_OP(Log1pOp, std::log1p, false)
MLXCPP_FLOAT_OP(Expm1Op, std::expm1, false)
MLXCPP_FLOAT_OP(SinOp, std::sin, true)
MLXCPP_FLOAT_OP(CosOp, std::cos, true)
MLXCPP_FLOAT_OP(TanOp, std::tan, true)
MLXCPP_FLOAT_OP(ArcSinOp, std::asin, true)
MLXCPP_FLOAT_OP(ArcCosOp, std::acos, true)
MLXCPP_FLOAT_OP(ArcTanOp, std::atan, true)
MLXCPP_FLOAT_OP(SinhOp, std::sinh, true)
MLXCPP_FLOAT_OP(CoshOp, std::cosh, true)
MLXCPP_FLOAT_OP(TanhOp, std::tanh, true)
MLXCPP_FLOAT_OP(ArcSinhOp, std::asinh, true)
MLXCPP_FLOAT_OP(ArcCoshOp, std::acosh, true)
MLXCPP_FLOAT_OP(ArcTanhOp, std::atanh, true)
MLXCPP_FLOAT_OP(ErfOp, std::erf, false)
#undef MLXCPP_FLOAT_OP

struct ExpOp {
  template <typename T>
  static constexpr bool supports = is_inexact_v<T>;
  float operator()(float x) const { return cpu::fast_exp(x); }
  double operator()(double x) const { return std::exp(x); }
  complex64_t operator()(complex64_t x) const {
    return complex64_t(std::exp(static_cast<std::complex<float>>(x)));
  }
};

struct Log2Op {
  template <typename T>
  static constexpr bool supports = is_inexact_v<T>;
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_same_v<T, complex64_t>) {
      return complex64_t(std::log(static_cast<std::complex<float>>(x)) / std::log(2.0f));
    } else {
      return std::log2(x);
    }
  }
};

struct Log10Op {
  template <typename T>
  static constexpr bool supports = is_inexact_v<T>;
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_same_v<T, complex64_t>) {
      return complex64_t(std::log10(static_cast<std::complex<float>>(x)));
    } else {
      return std::log10(x);
    }
  }
};

struct RsqrtOp {
  template <typename T>
  static constexpr bool supports = is_inexact_v<T>;
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_same_v<T, complex64_t>) {
      return complex64_t(1.0f / std::sqrt(static_cast<std::complex<float>>(x)));
    } else {
      return T(1) / std::sqrt(x);
    }
  }
};

struct SigmoidOp {
  template <typename T>
  static constexpr bool supports = is_float_v<T>;
  float operator()(float x) const { return cpu::sigmoid(x); }
  double operator()(double x) const {
    const double y = 1.0 / (1.0 + std::exp(std::fabs(x)));
    return x < 0.0 ? y : 1.0 - y;
  }
};

struct ErfInvOp {
  template <typename T>
  static constexpr bool supports = is_float_v<T>;
  float operator()(float x) const { return cpu::erfinv_float(x); }
  double operator()(double x) const { return cpu::erfinv_double(x); }
};

struct LogicalNotOp {
  template <typename T>
  static constexpr bool supports = std::is_same_v<T, bool>;
  bool operator()(bool x) const { return !x; }
};

struct BitwiseInvertOp {
  template <typename T>
  static constexpr bool supports = std::is_integral_v<T> && !std::is_same_v<T, bool>;
  template <typename T>
  T operator()(T x) const {
    return static_cast<T>(~x);
  }
};

struct ConjugateOp {
  template <typename T>
  static constexpr bool supports = std::is_same_v<T, complex64_t>;
  complex64_t operator()(complex64_t x) const { return complex64_t(x.real(), -x.imag()); }
};

struct RealOp {
  template <typename T>
  static constexpr bool supports = std::is_same_v<T, complex64_t>;
  float operator()(complex64_t x) const { return x.real(); }
};

struct ImagOp {
  template <typename T>
  static constexpr bool supports = std::is_same_v<T, complex64_t>;
  float operator()(complex64_t x) const { return x.imag(); }
};

// Runs op over the input's dtype; the output keeps the input's layout when
// it is dense (and reuses its buffer when it can).
template <typename Op>
void unary_op(const char* name, const array& in, array& out, Op op = Op{}) {
  cpu::allocate_like(in, out);
  cpu::dispatch_all_types(in.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    if constexpr (Op::template supports<T>) {
      cpu::dispatch_all_types(out.dtype(), [&](auto out_tag) {
        using O = MLXCPP_TAG_TYPE(out_tag);
        if constexpr (std::is_same_v<O, T> || std::is_same_v<O, float>) {
          cpu::unary_loop<T, O>(in, out, op);
        } else {
          throw Unsupported(std::string("[") + name + "] Unexpected output dtype " +
                            std::string(dtype_name(out.dtype())) + ".");
        }
      });
    } else {
      throw Unsupported(std::string("[") + name + "] Not supported for " +
                        std::string(dtype_name(in.dtype())) + ".");
    }
  });
}

}  // namespace

void Abs::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<AbsOp>("abs", in[0], out);
}
void ArcCos::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ArcCosOp>("arccos", in[0], out);
}
void ArcCosh::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ArcCoshOp>("arccosh", in[0], out);
}
void ArcSin::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ArcSinOp>("arcsin", in[0], out);
}
void ArcSinh::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ArcSinhOp>("arcsinh", in[0], out);
}
void ArcTan::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ArcTanOp>("arctan", in[0], out);
}
void ArcTanh::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ArcTanhOp>("arctanh", in[0], out);
}
void BitwiseInvert::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<BitwiseInvertOp>("bitwise_invert", in[0], out);
}
void Ceil::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<CeilOp>("ceil", in[0], out);
}
void Conjugate::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ConjugateOp>("conjugate", in[0], out);
}
void Cos::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<CosOp>("cos", in[0], out);
}
void Cosh::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<CoshOp>("cosh", in[0], out);
}
void Erf::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ErfOp>("erf", in[0], out);
}
void ErfInv::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ErfInvOp>("erfinv", in[0], out);
}
void Exp::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ExpOp>("exp", in[0], out);
}
void Expm1::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<Expm1Op>("expm1", in[0], out);
}
void Floor::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<FloorOp>("floor", in[0], out);
}
void Imag::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<ImagOp>("imag", in[0], out);
}
void Log::eval_cpu(const std::vector<array>& in, array& out) {
  switch (base_) {
    case Base::e:
      return unary_op<LogOp>("log", in[0], out);
    case Base::two:
      return unary_op<Log2Op>("log2", in[0], out);
    case Base::ten:
      return unary_op<Log10Op>("log10", in[0], out);
  }
}
void Log1p::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<Log1pOp>("log1p", in[0], out);
}
void LogicalNot::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<LogicalNotOp>("logical_not", in[0], out);
}
void Negative::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<NegativeOp>("negative", in[0], out);
}
void Real::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<RealOp>("real", in[0], out);
}
void Round::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<RoundOp>("round", in[0], out);
}
void Rsqrt::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<RsqrtOp>("rsqrt", in[0], out);
}
void Sigmoid::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<SigmoidOp>("sigmoid", in[0], out);
}
void Sign::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<SignOp>("sign", in[0], out);
}
void Sin::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<SinOp>("sin", in[0], out);
}
void Sinh::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<SinhOp>("sinh", in[0], out);
}
void Sqrt::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<SqrtOp>("sqrt", in[0], out);
}
void Square::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<SquareOp>("square", in[0], out);
}
void Tan::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<TanOp>("tan", in[0], out);
}
void Tanh::eval_cpu(const std::vector<array>& in, array& out) {
  unary_op<TanhOp>("tanh", in[0], out);
}

}  // namespace mlxcpp
