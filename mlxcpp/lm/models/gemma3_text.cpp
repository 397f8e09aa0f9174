// Gemma 3 (text): q/k norms, local layers (sliding window, rope_local_base_freq) and every
// sliding_window_pattern-th layer global (rope_theta with rope_scaling); the embedding
// scale sqrt(hidden) rounded to bfloat16 as mlx-lm does; tied unless lm_head is stored.
#include <cmath>

#include "mlxcpp/core/half_types.h"
#include "mlxcpp/lm/models/gemma.h"
#include "mlxcpp/lm/rope_config.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_gemma3_text(const ModelConfig& c, const QuantPlan& q) {
  GemmaOptions o;
  DecoderOptions& b = o.base;
  b.vocab_size = c.get_positive("vocab_size", 262144);
  b.hidden_size = c.get_positive("hidden_size", 1152);
  b.intermediate_size = c.get_positive("intermediate_size", 6912);
  b.num_layers = c.get_positive("num_hidden_layers", 26);
  b.num_heads = c.get_positive("num_attention_heads", 4);
  b.num_kv_heads = c.get_positive("num_key_value_heads", 1);
  if (b.num_heads % b.num_kv_heads != 0) {
    c.fail("num_key_value_heads", "must divide num_attention_heads");
  }
  b.head_dim = c.get_positive("head_dim", 256);
  check_widths(c, b);
  b.norm_eps = c.get_positive_float("rms_norm_eps", 1e-6f);
  b.qk_norm = true;
  b.tie_word_embeddings = !q.has_weight("lm_head.weight");
  o.query_pre_attn_scalar = c.get_float("query_pre_attn_scalar", 256.0f);
  if (!(o.query_pre_attn_scalar > 0)) {
    c.fail("query_pre_attn_scalar", "must be positive");
  }
  o.embed_scale = static_cast<float>(bfloat16_t(std::sqrt(float(b.hidden_size))));
  b.sliding_window = c.get_positive("sliding_window", 512);
  o.clip_residual = true;
  const int pattern = c.get_positive("sliding_window_pattern", 6);
  for (int i = 0; i < b.num_layers; ++i) {
    b.sliding_layers.push_back(i % pattern != pattern - 1);
  }
  const nn::RoPE local(b.head_dim, false, c.get_positive_float("rope_local_base_freq", 10000.0f));
  const nn::RoPE global =
      make_rope(c, b.head_dim, c.get_positive_float("rope_theta", 1000000.0f), false);
  o.rope_for = [local, global, pattern](int layer) {
    return layer % pattern != pattern - 1 ? local : global;
  };
  return std::make_unique<GemmaModel>(o, q);
}

const ArchitectureRegistration registration({"gemma3_text"}, make_gemma3_text);

}  // namespace
}  // namespace mlxcpp::lm
