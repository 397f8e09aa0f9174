#include "mlxcpp/nn/linear.h"

#include <stdexcept>
#include <string>
#include <typeinfo>

#include "mlxcpp/core/ops.h"

namespace mlxcpp::nn {

namespace {

// As MLX's quantize: the rows must split into whole groups.
void check_columns(int cols, const QuantSpec& q) {
  check_quantization(q.mode, q.group_size, q.bits);
  if (cols % q.group_size != 0) {
    throw std::invalid_argument("[quantize] The row length " + std::to_string(cols) +
                                " is not divisible by the group size " +
                                std::to_string(q.group_size) + ".");
  }
}

}  // namespace

Shape packed_shape(int rows, int cols, const QuantSpec& q) {
  check_columns(cols, q);
  return {rows, int(int64_t(cols) * q.bits / 32)};  // bits <= 8: the quotient is below cols
}

Shape scales_shape(int rows, int cols, const QuantSpec& q) {
  check_columns(cols, q);
  return {rows, cols / q.group_size};
}

void set_quantized(const std::vector<array>& q, array& weight, array& scales,
                   std::optional<array>& biases) {
  weight = q[0];
  scales = q[1];
  if (q.size() > 2) {
    biases = q[2];
  }
}

Linear::Linear(int in_features, int out_features, bool has_bias) {
  param("weight", weight, {out_features, in_features});
  if (has_bias) {
    bias = unloaded();
    param("bias", *bias, {out_features});
  }
}

array Linear::operator()(const array& x) const {
  if (bias) {
    return addmm(*bias, x, transpose(weight));
  }
  return matmul(x, transpose(weight));
}

std::unique_ptr<Module> Linear::to_quantized(const QuantSpec& spec) const {
  const auto q = quantize(weight, spec.group_size, spec.bits, spec.mode);
  auto out =
      std::make_unique<QuantizedLinear>(weight.shape(1), weight.shape(0), bias.has_value(), spec);
  set_quantized(q, out->weight, out->scales, out->biases);
  if (bias) {
    out->bias = *bias;
  }
  return out;
}

QuantizedLinear::QuantizedLinear(int in_features, int out_features, bool has_bias, QuantSpec q)
    : spec(std::move(q)) {
  param("weight", weight, packed_shape(out_features, in_features, spec), uint32);
  param("scales", scales, scales_shape(out_features, in_features, spec));
  if (spec.mode == "affine") {
    biases = unloaded();
    param("biases", *biases, scales_shape(out_features, in_features, spec));
  }
  if (has_bias) {
    bias = unloaded();
    param("bias", *bias, {out_features});
  }
}

array QuantizedLinear::operator()(const array& x) const {
  array y =
      quantized_matmul(x, weight, scales, biases, true, spec.group_size, spec.bits, spec.mode);
  return bias ? add(y, *bias) : y;
}

std::vector<array> apply_linears(const std::vector<const LinearLayer*>& layers, const array& x) {
  std::vector<const QuantizedLinear*> quantized;
  for (const LinearLayer* l : layers) {
    // Exactly QuantizedLinear: a subclass may compute something else (an adapter, say).
    const auto* q =
        typeid(*l) == typeid(QuantizedLinear) ? static_cast<const QuantizedLinear*>(l) : nullptr;
    const QuantizedLinear* q0 = quantized.empty() ? q : quantized[0];
    if (q == nullptr || q->spec.group_size != q0->spec.group_size ||
        q->spec.bits != q0->spec.bits || q->spec.mode != q0->spec.mode || q->weight.ndim() != 2 ||
        q->weight.shape(1) != q0->weight.shape(1) || q->scales.dtype() != q0->scales.dtype() ||
        q->biases.has_value() != q0->biases.has_value() ||
        (q->biases && q->biases->dtype() != q0->biases->dtype())) {
      quantized.clear();
      break;
    }
    quantized.push_back(q);
  }
  std::vector<array> out;
  if (quantized.size() < 2) {
    for (const LinearLayer* l : layers) {
      out.push_back((*l)(x));
    }
    return out;
  }
  std::vector<array> w, scales, biases;
  for (const QuantizedLinear* q : quantized) {
    w.push_back(q->weight);
    scales.push_back(q->scales);
    if (q->biases) {
      biases.push_back(*q->biases);
    }
  }
  const QuantSpec& spec = quantized[0]->spec;
  out = quantized_matmul_many(x, w, scales, biases, spec.group_size, spec.bits, spec.mode);
  for (size_t i = 0; i < out.size(); ++i) {
    if (quantized[i]->bias) {
      out[i] = add(out[i], *quantized[i]->bias);
    }
  }
  return out;
}

std::unique_ptr<LinearLayer> make_linear(int in_features, int out_features, bool bias,
                                         const std::optional<QuantSpec>& quant) {
  if (quant) {
    return std::make_unique<QuantizedLinear>(in_features, out_features, bias, *quant);
  }
  return std::make_unique<Linear>(in_features, out_features, bias);
}

}  // namespace mlxcpp::nn
