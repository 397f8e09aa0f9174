// Llama (1, 2, 3.x incl. llama3 rope scaling) and Mistral, which mlx-lm runs with its llama
// module (MODEL_REMAPPING).
#include "mlxcpp/lm/models/transformer.h"
#include "mlxcpp/lm/rope_config.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_llama(const ModelConfig& c, const QuantPlan& q) {
  const DecoderOptions o = llama_style_options(c, q);
  const nn::RoPE rope = make_rope(c, o.head_dim, c.get_positive_float("rope_theta", 10000.0f),
                                  c.get_bool("rope_traditional", false));
  return std::make_unique<DecoderModel>(o, rope, q);
}

const ArchitectureRegistration registration({"llama", "mistral"}, make_llama);

}  // namespace
}  // namespace mlxcpp::lm
