// Llama (1, 2, 3.x incl. llama3 rope scaling; sliding-window layers named by layer_types, as
// Code World Model has them) and Mistral, which mlx-lm runs with its llama module
// (MODEL_REMAPPING).
#include <algorithm>

#include "mlxcpp/lm/models/transformer.h"
#include "mlxcpp/lm/rope_config.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_llama(const ModelConfig& c, const QuantPlan& q) {
  DecoderOptions o = llama_style_options(c, q);
  // As mlx-lm: sliding_window applies only to the layers layer_types names (Mistral's
  // configs give a window without layer_types and attend in full).
  if (c.has("layer_types")) {
    for (const auto& t : layer_types(c, o.num_layers, {"full_attention", "sliding_attention"})) {
      o.sliding_layers.push_back(t == "sliding_attention");
    }
    if (std::count(o.sliding_layers.begin(), o.sliding_layers.end(), true) > 0) {
      o.sliding_window = c.get_positive("sliding_window");
    }
  }
  const nn::RoPE rope = make_rope(c, o.head_dim, c.get_positive_float("rope_theta", 10000.0f),
                                  c.get_bool("rope_traditional", false));
  return std::make_unique<DecoderModel>(o, rope, q);
}

const ArchitectureRegistration registration({"llama", "mistral"}, make_llama);

}  // namespace
}  // namespace mlxcpp::lm
