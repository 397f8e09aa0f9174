// Linear layers, float and quantized (as mlx.nn.Linear / QuantizedLinear): y = x W^T + b.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlxcpp/nn/module.h"

namespace mlxcpp::nn {

/** How a layer's weight is quantized (MLX's formats; see mlxcpp::quantize). */
struct QuantSpec {
  int group_size = 64;
  int bits = 4;
  std::string mode = "affine";
};

/** The parameter shapes of a quantized [rows, cols] matrix: packed weight, scales. */
Shape packed_shape(int rows, int cols, const QuantSpec& q);
Shape scales_shape(int rows, int cols, const QuantSpec& q);

/** Puts quantize()'s {weight, scales[, biases]} into a quantized layer's parameter slots. */
void set_quantized(const std::vector<array>& q, array& weight, array& scales,
                   std::optional<array>& biases);

/** What model code calls: a float or quantized linear layer. */
class LinearLayer : public Module {
 public:
  /** y = x W^T (+ b) over the last axis of x. */
  virtual array operator()(const array& x) const = 0;
};

class Linear : public LinearLayer {
 public:
  Linear(int in_features, int out_features, bool bias);
  array operator()(const array& x) const override;
  /** A QuantizedLinear with this layer's weight quantized and its bias kept. */
  std::unique_ptr<Module> to_quantized(const QuantSpec& spec) const override;

  array weight = unloaded();  // [out, in]
  std::optional<array> bias;  // [out]
};

class QuantizedLinear : public LinearLayer {
 public:
  QuantizedLinear(int in_features, int out_features, bool bias, QuantSpec spec);
  array operator()(const array& x) const override;

  QuantSpec spec;
  array weight = unloaded();    // packed uint32 [out, in * bits / 32]
  array scales = unloaded();    // [out, in / group_size]
  std::optional<array> biases;  // affine only, as scales
  std::optional<array> bias;    // [out]

 protected:
  int quantized_bits() const override { return spec.bits; }
};

/** {layers[i](x)}: as one quantized_matmul_many (the same values, x read once) when every
 *  layer is a QuantizedLinear of one format and input size; else each layer in turn. */
std::vector<array> apply_linears(const std::vector<const LinearLayer*>& layers, const array& x);

/** A Linear, or a QuantizedLinear when `quant` is given. */
std::unique_ptr<LinearLayer> make_linear(int in_features, int out_features, bool bias,
                                         const std::optional<QuantSpec>& quant);

}  // namespace mlxcpp::nn
