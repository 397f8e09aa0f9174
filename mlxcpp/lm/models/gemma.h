// The Gemma 2 / Gemma 3 decoder (mlx-lm's gemma2.py and gemma3_text.py): RMSNorms that
// scale by (1 + w), four norms per block, a tanh-GELU MLP, scaled embeddings, sliding-
// window layers with rotating caches, and Gemma 2's attention and final soft-capping.
#pragma once

#include <functional>

#include "mlxcpp/lm/models/transformer.h"

namespace mlxcpp::lm {

/** x * rsqrt(mean(x^2) + eps) * (1 + weight). */
class GemmaRMSNorm : public nn::Module {
 public:
  GemmaRMSNorm(int dims, float eps);
  array operator()(const array& x) const;

 private:
  float eps_;
  array weight_ = nn::unloaded();
};

struct GemmaOptions {
  DecoderOptions base;
  float query_pre_attn_scalar = 256;
  std::optional<float> attn_softcap;   // Gemma 2
  std::optional<float> final_softcap;  // Gemma 2
  float embed_scale = 1;               // applied in the activations' dtype
  /** Gemma 3: float16 residual sums are added in float32 and clipped to float16's range
   *  (mlx-lm's clip_residual), as its activations outgrow float16. */
  bool clip_residual = false;
  std::function<nn::RoPE(int layer)> rope_for;
};

class GemmaModel : public Model {
 public:
  GemmaModel(const GemmaOptions& o, const QuantPlan& q);
  ~GemmaModel() override;
  array operator()(const array& tokens, Cache* cache) override;
  /** Rotating caches for sliding-window layers, standard ones for the others. */
  Cache make_cache() const override;
  std::unordered_map<std::string, array> sanitize(
      std::unordered_map<std::string, array> weights) const override;

 private:
  class Attention;
  class Block;
  struct Body : nn::Module {
    using nn::Module::child;
    std::unique_ptr<nn::EmbeddingLayer> embed_tokens;
    std::vector<std::unique_ptr<Block>> layers;
    std::unique_ptr<GemmaRMSNorm> norm;
  };
  GemmaOptions options_;
  Body body_;
  std::unique_ptr<nn::LinearLayer> lm_head_;
};

}  // namespace mlxcpp::lm
