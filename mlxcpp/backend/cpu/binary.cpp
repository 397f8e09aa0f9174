// Binary elementwise kernels: arithmetic, comparisons, logic, bitwise and DivMod.
#include <cmath>
#include <complex>
#include <string>

#include "mlxcpp/backend/cpu/dispatch.h"
#include "mlxcpp/backend/cpu/elementwise.h"
#include "mlxcpp/backend/cpu/math.h"
#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/primitives.h"

namespace mlxcpp {

namespace {

template <typename T>
constexpr bool is_complex_t = std::is_same_v<T, complex64_t>;
template <typename T>
constexpr bool is_real_t = !is_complex_t<T>;

using std_complex = std::complex<float>;

struct AddOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x, T y) const {
    if constexpr (std::is_integral_v<T>) {
      return cpu::wrap_add(x, y);
    } else {
      return x + y;
    }
  }
};

struct SubtractOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x, T y) const {
    if constexpr (std::is_integral_v<T>) {
      return cpu::wrap_sub(x, y);
    } else {
      return x - y;
    }
  }
};

struct MultiplyOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x, T y) const {
    if constexpr (std::is_integral_v<T>) {
      return cpu::wrap_mul(x, y);
    } else {
      return x * y;
    }
  }
};

// For integers this truncates (MLX's floor_divide on integers uses it).
struct DivideOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x, T y) const {
    if constexpr (std::is_integral_v<T>) {
      return cpu::int_divide(x, y);
    } else {
      return x / y;
    }
  }
};

struct PowerOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T base, T exp) const {
    if constexpr (std::is_same_v<T, bool>) {
      return base || !exp;
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (exp < 0) {
          return 0;
        }
      }
      T result = 1;
      while (exp) {
        if (exp & 1) {
          result = cpu::wrap_mul(result, base);
        }
        exp >>= 1;
        base = cpu::wrap_mul(base, base);
      }
      return result;
    } else if constexpr (is_complex_t<T>) {
      return T(std::pow(static_cast<std_complex>(base), static_cast<std_complex>(exp)));
    } else {
      return std::pow(base, exp);
    }
  }
};

// NaN in either operand propagates.
struct MaximumOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) {
        return x;
      }
    }
    return x > y ? x : y;
  }
};

struct MinimumOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  T operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) {
        return x;
      }
    }
    return x < y ? x : y;
  }
};

struct LogAddExpOp {
  template <typename T>
  static constexpr bool supports = std::is_floating_point_v<T> || is_half_v<T>;
  template <typename T>
  T operator()(T x, T y) const {
    if (std::isnan(x) || std::isnan(y)) {
      return x + y;
    }
    const T hi = x > y ? x : y;
    const T lo = x > y ? y : x;
    if (lo == -std::numeric_limits<T>::infinity() || hi == std::numeric_limits<T>::infinity()) {
      return hi;
    }
    return hi + std::log1p(std::exp(lo - hi));
  }
};

struct ArcTan2Op {
  template <typename T>
  static constexpr bool supports = std::is_floating_point_v<T> || is_half_v<T>;
  template <typename T>
  T operator()(T y, T x) const {
    return std::atan2(y, x);
  }
};

struct EqualOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  bool operator()(T x, T y) const {
    return x == y;
  }
};

struct NaNEqualOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  bool operator()(T x, T y) const {
    if constexpr (std::is_floating_point_v<T>) {
      return x == y || (std::isnan(x) && std::isnan(y));
    } else if constexpr (is_complex_t<T>) {
      auto nan = [](T v) { return std::isnan(v.real()) || std::isnan(v.imag()); };
      return x == y || (nan(x) && nan(y));
    } else {
      return x == y;
    }
  }
};

struct NotEqualOp {
  template <typename T>
  static constexpr bool supports = true;
  template <typename T>
  bool operator()(T x, T y) const {
    return x != y;
  }
};

#define MLXCPP_ORDER_OP(NAME, OP)          \
  struct NAME {                            \
    template <typename T>                  \
    static constexpr bool supports = true; \
    template <typename T>                  \
    bool operator()(T x, T y) const {      \
      return x OP y;                       \
    }                                      \
  };
MLXCPP_ORDER_OP(LessOp, <)
MLXCPP_ORDER_OP(LessEqualOp, <=)
MLXCPP_ORDER_OP(GreaterOp, >)
MLXCPP_ORDER_OP(GreaterEqualOp, >=)
#undef MLXCPP_ORDER_OP

struct LogicalAndOp {
  template <typename T>
  static constexpr bool supports = std::is_same_v<T, bool>;
  bool operator()(bool x, bool y) const { return x && y; }
};

struct LogicalOrOp {
  template <typename T>
  static constexpr bool supports = std::is_same_v<T, bool>;
  bool operator()(bool x, bool y) const { return x || y; }
};

template <typename T>
constexpr bool is_bits_t = std::is_integral_v<T>;
template <typename T>
constexpr bool is_shiftable_t = std::is_integral_v<T> && !std::is_same_v<T, bool>;

struct BitAndOp {
  template <typename T>
  static constexpr bool supports = is_bits_t<T>;
  template <typename T>
  T operator()(T x, T y) const {
    return static_cast<T>(x & y);
  }
};
struct BitOrOp {
  template <typename T>
  static constexpr bool supports = is_bits_t<T>;
  template <typename T>
  T operator()(T x, T y) const {
    return static_cast<T>(x | y);
  }
};
struct BitXorOp {
  template <typename T>
  static constexpr bool supports = is_bits_t<T>;
  template <typename T>
  T operator()(T x, T y) const {
    return static_cast<T>(x ^ y);
  }
};
struct LeftShiftOp {
  template <typename T>
  static constexpr bool supports = is_shiftable_t<T>;
  template <typename T>
  T operator()(T x, T y) const {
    return cpu::shift_left(x, y);
  }
};
struct RightShiftOp {
  template <typename T>
  static constexpr bool supports = is_shiftable_t<T>;
  template <typename T>
  T operator()(T x, T y) const {
    return cpu::shift_right(x, y);
  }
};

// Floor quotient and remainder with the divisor's sign (Python's divmod).
template <typename T>
std::pair<T, T> floor_divmod(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    T q = cpu::int_divide(x, y);
    T r = cpu::int_rem(x, y);
    if constexpr (std::is_signed_v<T>) {
      if (r != 0 && ((r < 0) != (y < 0))) {
        q = cpu::wrap_sub(q, T(1));
        r = cpu::wrap_add(r, y);
      }
    }
    return {q, r};
  } else {
    T r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) {
      r += y;
    }
    return {T(std::floor(x / y)), r};
  }
}

struct DivModQuotientOp {
  template <typename T>
  static constexpr bool supports = is_real_t<T>;
  template <typename T>
  T operator()(T x, T y) const {
    return floor_divmod(x, y).first;
  }
};

struct DivModRemainderOp {
  template <typename T>
  static constexpr bool supports = is_real_t<T>;
  template <typename T>
  T operator()(T x, T y) const {
    return floor_divmod(x, y).second;
  }
};

// Runs op over the inputs' (shared) dtype. Comparisons write bool.
template <typename Op>
void binary_op(const char* name, const std::vector<array>& inputs, array& out, Op op = Op{},
               bool donate = true) {
  const auto& a = inputs[0];
  const auto& b = inputs[1];
  cpu::dispatch_all_types(a.dtype(), [&](auto tag) {
    using T = MLXCPP_TAG_TYPE(tag);
    if constexpr (Op::template supports<T>) {
      // Comparisons and logic produce bool; everything else keeps the input type.
      using R = decltype(cpu::apply_binary(op, std::declval<T>(), std::declval<T>()));
      using Out = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
      cpu::binary_loop<T, Out>(a, b, out, op, donate);
    } else {
      throw Unsupported(std::string("[") + name + "] Not supported for " +
                        std::string(dtype_name(a.dtype())) + ".");
    }
  });
}

}  // namespace

void Add::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<AddOp>("add", in, out);
}
void Subtract::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<SubtractOp>("subtract", in, out);
}
void Multiply::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<MultiplyOp>("multiply", in, out);
}
void Divide::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<DivideOp>("divide", in, out);
}
void Remainder::eval_cpu(const std::vector<array>& in, array& out) {
  // The remainder has the sign of the divisor, as divmod's.
  binary_op<DivModRemainderOp>("remainder", in, out);
}
void Power::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<PowerOp>("power", in, out);
}
void Maximum::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<MaximumOp>("maximum", in, out);
}
void Minimum::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<MinimumOp>("minimum", in, out);
}
void LogAddExp::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<LogAddExpOp>("logaddexp", in, out);
}
void ArcTan2::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<ArcTan2Op>("arctan2", in, out);
}
void Equal::eval_cpu(const std::vector<array>& in, array& out) {
  if (equal_nan_) {
    binary_op<NaNEqualOp>("equal", in, out);
  } else {
    binary_op<EqualOp>("equal", in, out);
  }
}
void NotEqual::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<NotEqualOp>("not_equal", in, out);
}
void Less::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<LessOp>("less", in, out);
}
void LessEqual::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<LessEqualOp>("less_equal", in, out);
}
void Greater::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<GreaterOp>("greater", in, out);
}
void GreaterEqual::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<GreaterEqualOp>("greater_equal", in, out);
}
void LogicalAnd::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<LogicalAndOp>("logical_and", in, out);
}
void LogicalOr::eval_cpu(const std::vector<array>& in, array& out) {
  binary_op<LogicalOrOp>("logical_or", in, out);
}
void BitwiseBinary::eval_cpu(const std::vector<array>& in, array& out) {
  switch (op_) {
    case And:
      return binary_op<BitAndOp>("bitwise_and", in, out);
    case Or:
      return binary_op<BitOrOp>("bitwise_or", in, out);
    case Xor:
      return binary_op<BitXorOp>("bitwise_xor", in, out);
    case LeftShift:
      return binary_op<LeftShiftOp>("left_shift", in, out);
    case RightShift:
      return binary_op<RightShiftOp>("right_shift", in, out);
  }
}

void DivMod::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  // Two passes over the inputs, so neither output may take over an input's buffer.
  binary_op<DivModQuotientOp>("divmod", inputs, outputs[0], {}, false);
  binary_op<DivModRemainderOp>("divmod", inputs, outputs[1], {}, false);
}

}  // namespace mlxcpp
