// The decoder pieces that Llama-family architectures share (mlx-lm's llama.py shape):
// attention with GQA, optional q/k/v biases and per-head q/k RMSNorm; a SwiGLU MLP;
// pre-norm blocks; a token embedding, final norm and tied or separate output head.
// Architecture files fill a DecoderOptions from their config and register.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlxcpp/lm/config.h"
#include "mlxcpp/lm/model.h"
#include "mlxcpp/nn/embedding.h"
#include "mlxcpp/nn/layers.h"
#include "mlxcpp/nn/linear.h"

namespace mlxcpp::lm {

struct DecoderOptions {
  int vocab_size = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  float norm_eps = 1e-5f;
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;        // RMSNorm over each head of q and k (Qwen3)
  bool fused_qkv = false;      // one qkv_proj (Phi-3)
  bool fused_gate_up = false;  // one gate_up_proj (Phi-3)
  bool tie_word_embeddings = true;
  /** Layers that attend over the last sliding_window keys only (a rotating cache); empty:
   *  none. */
  std::vector<bool> sliding_layers;
  int sliding_window = 0;
};

/** FormatError unless the widths layers compute in int (heads x head_dim with the fused
 *  q/k/v, 2 x intermediate_size for a fused gate/up) fit. */
void check_widths(const ModelConfig& c, const DecoderOptions& o);

/** Layer `layer`'s attention window: sliding_window for the sliding layers, none otherwise. */
std::optional<int> attention_window(const DecoderOptions& o, int layer);

/** One cache per layer: a rotating cache over the window for sliding layers, a standard one
 *  for the others. */
Cache layer_caches(const DecoderOptions& o);

/** The common config keys of Llama-style models with mlx-lm's defaults (head_dim from
 *  hidden / heads, kv heads = heads, ...); without tie_word_embeddings, the output head is
 *  tied when the checkpoint (q's names) has no lm_head.weight. */
DecoderOptions llama_style_options(const ModelConfig& c, const QuantPlan& q);

class Attention : public nn::Module {
 public:
  /** window: attend over the last `window` keys only. */
  Attention(const DecoderOptions& o, nn::RoPE rope, const QuantPlan& q, const std::string& path,
            std::optional<int> window = std::nullopt);
  array operator()(const array& x, LayerCache* cache) const;

 private:
  int heads_, kv_heads_, head_dim_;
  float scale_;
  std::optional<int> window_;
  nn::RoPE rope_;
  std::unique_ptr<nn::LinearLayer> qkv_proj_, q_proj_, k_proj_, v_proj_, o_proj_;
  std::unique_ptr<nn::RMSNorm> q_norm_, k_norm_;
};

/** The feed-forward half of a block: a dense MLP or a mixture of experts. */
class FeedForward : public nn::Module {
 public:
  virtual array operator()(const array& x) const = 0;
};

/** down(silu(gate(x)) * up(x)), with gate and up as one projection when fused. */
class SwiGLUMLP : public FeedForward {
 public:
  SwiGLUMLP(int hidden, int intermediate, bool bias, bool fused, const QuantPlan& q,
            const std::string& path);
  array operator()(const array& x) const override;

 private:
  std::unique_ptr<nn::LinearLayer> gate_up_proj_, gate_proj_, up_proj_, down_proj_;
};

/** Makes layer `index`'s feed-forward; returns its name in the checkpoint ("mlp"). */
using FeedForwardFactory = std::function<std::pair<std::string, std::unique_ptr<FeedForward>>(
    int index, const std::string& layer_path)>;

class DecoderBlock : public nn::Module {
 public:
  DecoderBlock(const DecoderOptions& o, nn::RoPE rope, const QuantPlan& q, const std::string& path,
               std::pair<std::string, std::unique_ptr<FeedForward>> ff,
               std::optional<int> window = std::nullopt);
  array operator()(const array& x, LayerCache* cache) const;

 private:
  nn::RMSNorm input_layernorm_, post_attention_layernorm_;
  Attention self_attn_;
  std::unique_ptr<FeedForward> mlp_;
};

/** model.embed_tokens, model.layers.N, model.norm and lm_head (unless tied). */
class DecoderModel : public Model {
 public:
  /** Blocks with a SwiGLU MLP named "mlp" unless `feed_forward` makes them. */
  DecoderModel(const DecoderOptions& o, const nn::RoPE& rope, const QuantPlan& q,
               FeedForwardFactory feed_forward = {});
  array operator()(const array& tokens, Cache* cache) override;
  /** Standard caches; rotating ones (sliding_window) for sliding layers. */
  Cache make_cache() const override;
  /** Drops rotary inv_freq buffers and, when tied, lm_head.weight. */
  std::unordered_map<std::string, array> sanitize(
      std::unordered_map<std::string, array> weights) const override;

  /** An architecture's own renaming, run after the common one (e.g. stacking experts). */
  std::function<void(std::unordered_map<std::string, array>&)> extra_sanitize;

 private:
  // The "model." subtree.
  struct Body : nn::Module {
    using nn::Module::child;
    std::unique_ptr<nn::EmbeddingLayer> embed_tokens;
    std::vector<std::unique_ptr<DecoderBlock>> layers;
    std::unique_ptr<nn::RMSNorm> norm;
  };
  DecoderOptions options_;
  Body body_;
  std::unique_ptr<nn::LinearLayer> lm_head_;
};

}  // namespace mlxcpp::lm
