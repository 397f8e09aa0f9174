// Qwen2 / Qwen2.5: Llama's shape with q/k/v biases always on.
#include "mlxcpp/lm/models/transformer.h"
#include "mlxcpp/lm/rope_config.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_qwen2(const ModelConfig& c, const QuantPlan& q) {
  DecoderOptions o = llama_style_options(c, q);
  o.qkv_bias = true;
  o.o_bias = false;
  o.mlp_bias = false;
  o.norm_eps = c.get_positive_float("rms_norm_eps", 1e-6f);
  const nn::RoPE rope = make_rope(c, o.head_dim, c.get_positive_float("rope_theta", 1000000.0f),
                                  c.get_bool("rope_traditional", false));
  return std::make_unique<DecoderModel>(o, rope, q);
}

const ArchitectureRegistration registration({"qwen2"}, make_qwen2);

}  // namespace
}  // namespace mlxcpp::lm
