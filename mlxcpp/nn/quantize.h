// Quantizing a float model in place (mlx.nn.quantize): every layer with a quantized form
// (Linear, Embedding, MoE switch layers) that the predicate picks is replaced by its
// quantized version.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "mlxcpp/nn/linear.h"

namespace mlxcpp::nn {

/** Which layers to quantize and how, as mlx.nn.quantize's class_predicate: called with each
 *  replaceable layer's dotted path and module; false skips the layer, true quantizes it with
 *  quantize()'s settings, a QuantSpec with its own. */
using QuantizePredicate =
    std::function<std::variant<bool, QuantSpec>(const std::string& path, const Module& m)>;

/** Replaces the layers of `model` that `predicate` picks (default: every layer with a
 *  quantized form) by quantized ones; group_size and bits default to the mode's (affine:
 *  64 and 4). Weights quantize lazily, as in MLX. All or nothing: a layer the spec does not
 *  fit (e.g. a row length not divisible by the group size), or a picked layer without a
 *  quantized form (a leaf module), throws std::invalid_argument naming its path and leaves the
 * model as it was. */
void quantize(Module& model, std::optional<int> group_size = std::nullopt,
              std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
              const QuantizePredicate& predicate = {});

}  // namespace mlxcpp::nn
