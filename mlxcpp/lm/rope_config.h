// RoPE from a config's rope_theta / rope_scaling, as mlx-lm's initialize_rope.
#pragma once

#include "mlxcpp/lm/config.h"
#include "mlxcpp/nn/layers.h"

namespace mlxcpp::lm {

/** The RoPE for `dims` rotated features: rope_scaling types default, linear and llama3;
 *  others throw Unsupported naming the type. */
nn::RoPE make_rope(const ModelConfig& config, int dims, float base, bool traditional);

}  // namespace mlxcpp::lm
