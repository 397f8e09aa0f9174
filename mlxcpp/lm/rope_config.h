// RoPE from a config's rope_theta / rope_scaling, as mlx-lm's initialize_rope.
#pragma once

#include "mlxcpp/lm/config.h"
#include "mlxcpp/nn/layers.h"

namespace mlxcpp::lm {

/** The RoPE for `dims` rotated features from rope_scaling: default, linear, dynamic (NTK),
 *  llama3, yarn and longrope / su; other types throw Unsupported naming the type. Every
 *  architecture honours rope_scaling here, as Hugging Face does, and yarn reads
 *  attention_factor; mlx-lm's mixtral and qwen3_moe modules (and phi3, for types other than
 *  longrope / su / linear) ignore rope_scaling, and its yarn ignores attention_factor. */
nn::RoPE make_rope(const ModelConfig& config, int dims, float base, bool traditional);

}  // namespace mlxcpp::lm
