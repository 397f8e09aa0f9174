// Gemma 2: soft-capped attention and logits, query_pre_attn_scalar, embeddings scaled by
// sqrt(hidden), tied output. Even layers attend within sliding_window as Hugging Face's
// reference does (mlx-lm attends causally everywhere).
#include <cmath>

#include "mlxcpp/lm/models/gemma.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_gemma2(const ModelConfig& c, const QuantPlan& q) {
  GemmaOptions o;
  o.base = llama_style_options(c, q);
  o.base.norm_eps = c.get_positive_float("rms_norm_eps", 1e-6f);
  o.base.tie_word_embeddings = true;
  o.query_pre_attn_scalar = c.get_float("query_pre_attn_scalar", 144.0f);
  o.attn_softcap = c.get_float("attn_logit_softcapping", 50.0f);
  o.final_softcap = c.get_float("final_logit_softcapping", 30.0f);
  if (!(*o.attn_softcap > 0) || !(*o.final_softcap > 0) || !(o.query_pre_attn_scalar > 0)) {
    c.fail("attn_logit_softcapping", "soft caps and query_pre_attn_scalar must be positive");
  }
  o.embed_scale = std::sqrt(float(o.base.hidden_size));
  o.base.sliding_window = c.get_positive("sliding_window", 4096);
  for (int i = 0; i < o.base.num_layers; ++i) {
    o.base.sliding_layers.push_back(i % 2 == 0);
  }
  const nn::RoPE rope(o.base.head_dim, c.get_bool("rope_traditional", false),
                      c.get_positive_float("rope_theta", 10000.0f));
  o.rope_for = [rope](int) { return rope; };
  return std::make_unique<GemmaModel>(o, q);
}

const ArchitectureRegistration registration({"gemma2"}, make_gemma2);

}  // namespace
}  // namespace mlxcpp::lm
