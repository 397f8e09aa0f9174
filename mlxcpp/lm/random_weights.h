// Models with random weights at real shapes, for benchmarks (mlxcpp bench) where only the
// speed matters.
#pragma once

#include <optional>

#include "mlxcpp/lm/load.h"
#include "mlxcpp/nn/linear.h"

namespace mlxcpp::lm {

/** A model built from `config_json` (a config.json text) with random weights: float
 *  parameters ~ N(0, 0.02^2) in `dtype`, norm weights one, and, with `quant`, every linear
 *  and embedding layer quantized (random codes, small scales and biases in `dtype`). The
 *  result has no tokenizer. Throws as lm::load does for a bad config. */
LoadedModel random_model(const std::string& config_json, Dtype dtype,
                         const std::optional<nn::QuantSpec>& quant, uint64_t seed = 0);

}  // namespace mlxcpp::lm
