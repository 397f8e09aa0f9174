// Phi-3: fused qkv_proj and gate_up_proj, head_dim = hidden / heads, optional partial
// rotary (LongRoPE "su" scaling through make_rope); untied output head by default.
#include "mlxcpp/lm/models/transformer.h"
#include "mlxcpp/lm/rope_config.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_phi3(const ModelConfig& c, const QuantPlan& q) {
  DecoderOptions o = llama_style_options(c, q);
  if (o.hidden_size % o.num_heads != 0) {
    c.fail("hidden_size", "must be a multiple of num_attention_heads");
  }
  o.head_dim = o.hidden_size / o.num_heads;  // Phi-3 ignores a head_dim key
  check_widths(c, o);
  o.fused_qkv = true;
  o.fused_gate_up = true;
  o.qkv_bias = o.o_bias = o.mlp_bias = false;
  o.tie_word_embeddings = c.get_bool("tie_word_embeddings", false);
  const float partial = c.get_float("partial_rotary_factor", 1.0f);
  if (!(partial > 0 && partial <= 1)) {
    c.fail("partial_rotary_factor", "must be in (0, 1]");
  }
  const int rope_dims = int(float(o.head_dim) * partial);
  if (rope_dims <= 0 || rope_dims % 2 != 0) {
    c.fail("partial_rotary_factor", "gives " + std::to_string(rope_dims) +
                                        " rotary dimensions; they must be positive and even");
  }
  const nn::RoPE rope = make_rope(c, rope_dims, c.get_positive_float("rope_theta", 10000.0f),
                                  c.get_bool("rope_traditional", false));
  return std::make_unique<DecoderModel>(o, rope, q);
}

const ArchitectureRegistration registration({"phi3"}, make_phi3);

}  // namespace
}  // namespace mlxcpp::lm
