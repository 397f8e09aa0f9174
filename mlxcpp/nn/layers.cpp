#include "mlxcpp/nn/layers.h"

#include <algorithm>
#include <cmath>

#include "mlxcpp/core/fast.h"
#include "mlxcpp/core/ops.h"

namespace mlxcpp::nn {

RMSNorm::RMSNorm(int dims, float e) : eps(e) {
  param("weight", weight, {dims});
}

array RMSNorm::operator()(const array& x) const {
  return fast::rms_norm(x, weight, eps);
}

LayerNorm::LayerNorm(int dims, float e, bool affine, bool has_bias) : eps(e) {
  if (affine) {
    weight = unloaded();
    param("weight", *weight, {dims});
    if (has_bias) {
      bias = unloaded();
      param("bias", *bias, {dims});
    }
  }
}

array LayerNorm::operator()(const array& x) const {
  return fast::layer_norm(x, weight, bias, eps);
}

RoPE::RoPE(int d, bool trad, float b, float s) : dims(d), traditional(trad), base(b), scale(s) {}

RoPE::RoPE(int d, bool trad, array f, float s)
    : dims(d), traditional(trad), scale(s), freqs(std::move(f)) {}

array RoPE::operator()(const array& x, int offset) const {
  array in = x;
  if (input_scale != 1.0f) {
    const array s(input_scale, x.dtype());
    if (dims == x.shape(-1)) {
      in = multiply(x, s);
    } else {
      const auto parts = split(x, Shape{dims}, -1);
      in = concatenate({multiply(parts[0], s), parts[1]}, -1);
    }
  }
  std::optional<float> b = base;
  if (dynamic && base) {
    // mlx-lm's DynamicNTKScalingRoPE, in double as Python computes it.
    const double len = std::max<double>(x.shape(-2) + offset, dynamic->max_positions);
    const double f = dynamic->factor;
    b = float(double(*base) *
              std::pow(f * len / dynamic->max_positions - (f - 1), double(dims) / (dims - 2)));
  }
  return fast::rope(in, dims, traditional, b, scale, offset, freqs);
}

array silu(const array& x) {
  return multiply(x, sigmoid(x));
}

array swiglu(const array& gate, const array& x) {
  return fast::swiglu(gate, x);  // mlx-lm compiles swiglu into one kernel
}

array gelu(const array& x) {
  // x * (1 + erf(x / sqrt(2))) / 2, in mlx.nn's order of operations.
  return divide(
      multiply(x, add(array(1.0f, x.dtype()), erf(divide(x, array(std::sqrt(2.0f), x.dtype()))))),
      array(2.0f, x.dtype()));
}

array gelu_approx(const array& x) {
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  const Dtype t = x.dtype();
  const array inner = multiply(array(std::sqrt(2.0f / float(M_PI)), t),
                               add(x, multiply(array(0.044715f, t), power(x, array(3.0f, t)))));
  return multiply(multiply(array(0.5f, t), x), add(array(1.0f, t), tanh(inner)));
}

array relu2(const array& x) {
  return square(maximum(x, array(0.0f, x.dtype())));
}

}  // namespace mlxcpp::nn
