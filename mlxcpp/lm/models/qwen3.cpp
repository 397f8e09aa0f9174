// Qwen3 (dense): Llama's shape with RMSNorm over each head of q and k, no biases.
#include "mlxcpp/lm/models/transformer.h"
#include "mlxcpp/lm/rope_config.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_qwen3(const ModelConfig& c, const QuantPlan& q) {
  DecoderOptions o = llama_style_options(c, q);
  o.qk_norm = true;
  o.qkv_bias = c.get_bool("attention_bias", false);
  o.o_bias = o.qkv_bias;
  o.mlp_bias = false;
  o.norm_eps = c.get_positive_float("rms_norm_eps", 1e-6f);
  const nn::RoPE rope =
      make_rope(c, o.head_dim, c.get_positive_float("rope_theta", 1000000.0f), false);
  return std::make_unique<DecoderModel>(o, rope, q);
}

const ArchitectureRegistration registration({"qwen3"}, make_qwen3);

}  // namespace
}  // namespace mlxcpp::lm
