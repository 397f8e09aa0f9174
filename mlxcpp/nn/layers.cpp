#include "mlxcpp/nn/layers.h"

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
  return fast::rope(x, dims, traditional, base, scale, offset, freqs);
}

array silu(const array& x) {
  return multiply(x, sigmoid(x));
}

array swiglu(const array& gate, const array& x) {
  return multiply(silu(gate), x);
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
