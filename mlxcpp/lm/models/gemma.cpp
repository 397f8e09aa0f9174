#include "mlxcpp/lm/models/gemma.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/fast.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/lm/attention.h"
#include "mlxcpp/lm/mask.h"

namespace mlxcpp::lm {

GemmaRMSNorm::GemmaRMSNorm(int dims, float eps) : eps_(eps) {
  param("weight", weight_, {dims});
}

array GemmaRMSNorm::operator()(const array& x) const {
  return fast::rms_norm(x, add(array(1.0f, weight_.dtype()), weight_), eps_);
}

namespace {

// tanh(x / cap) * cap in x's dtype.
array softcap(const array& x, float cap) {
  const array c(cap, x.dtype());
  return multiply(tanh(divide(x, c)), c);
}

// Attention written out (mlx-lm's Gemma 2 path): soft-capped scores cannot use the fused
// kernel. K/V heads are shared by reshaping the queries, not by repeating K/V.
array softcapped_attention(array q, const array& k, const array& v, float scale, float cap,
                           const AttentionMask& m) {
  const int b = q.shape(0), h = q.shape(1), l = q.shape(2), d = q.shape(3);
  const int kvh = k.shape(1);
  q = multiply(q, array(scale, q.dtype()));
  array kk = k, vv = v;
  if (h != kvh) {
    q = reshape(q, {b, kvh, h / kvh, l, d});
    kk = expand_dims(k, 2);
    vv = expand_dims(v, 2);
  }
  array scores = softcap(matmul(q, swapaxes(kk, -1, -2)), cap);
  std::optional<array> mask = m.mask;
  if (m.mode == "causal") {
    const int keys = k.shape(2);
    const array pos = expand_dims(arange(keys - l, keys, int32), 1);
    mask = greater_equal(pos, expand_dims(arange(0, keys, int32), 0));
  }
  if (mask) {
    const array low(std::numeric_limits<float>::lowest(), scores.dtype());
    scores = where(*mask, scores, low);
  }
  array out = matmul(softmax(scores, -1, true), vv);
  return h != kvh ? reshape(out, {b, h, l, d}) : out;
}

}  // namespace

class GemmaModel::Attention : public nn::Module {
 public:
  Attention(const GemmaOptions& o, int layer, const QuantPlan& q, const std::string& path)
      : opts_(o), rope_(o.rope_for(layer)), window_(attention_window(o.base, layer)) {
    const DecoderOptions& b = o.base;
    q_proj_ =
        nn::make_linear(b.hidden_size, b.num_heads * b.head_dim, false, q.at(path + ".q_proj"));
    k_proj_ =
        nn::make_linear(b.hidden_size, b.num_kv_heads * b.head_dim, false, q.at(path + ".k_proj"));
    v_proj_ =
        nn::make_linear(b.hidden_size, b.num_kv_heads * b.head_dim, false, q.at(path + ".v_proj"));
    o_proj_ =
        nn::make_linear(b.num_heads * b.head_dim, b.hidden_size, false, q.at(path + ".o_proj"));
    child("q_proj", q_proj_);
    child("k_proj", k_proj_);
    child("v_proj", v_proj_);
    child("o_proj", o_proj_);
    if (b.qk_norm) {
      q_norm_ = std::make_unique<GemmaRMSNorm>(b.head_dim, b.norm_eps);
      k_norm_ = std::make_unique<GemmaRMSNorm>(b.head_dim, b.norm_eps);
      child("q_norm", q_norm_);
      child("k_norm", k_norm_);
    }
  }

  array operator()(const array& x, LayerCache* cache) const {
    const DecoderOptions& o = opts_.base;
    const int b = x.shape(0), t = x.shape(1);
    array q = transpose(reshape((*q_proj_)(x), {b, t, o.num_heads, o.head_dim}), {0, 2, 1, 3});
    array k = transpose(reshape((*k_proj_)(x), {b, t, o.num_kv_heads, o.head_dim}), {0, 2, 1, 3});
    array v = transpose(reshape((*v_proj_)(x), {b, t, o.num_kv_heads, o.head_dim}), {0, 2, 1, 3});
    if (q_norm_) {
      q = (*q_norm_)(q);
      k = (*k_norm_)(k);
    }
    const int offset = cache ? cache->offset() : 0;
    q = rope_(q, offset);
    k = rope_(k, offset);
    const float scale = 1.0f / std::sqrt(opts_.query_pre_attn_scalar);
    array out = opts_.attn_softcap ? softcapped(q, k, v, cache, scale, window_)
                                   : cached_attention(q, k, v, cache, scale, window_);
    out = reshape(transpose(out, {0, 2, 1, 3}), {b, t, o.num_heads * o.head_dim});
    return (*o_proj_)(out);
  }

 private:
  // Gemma 2's soft-capped scores need the float keys/values (mlx-lm has no quantized path
  // for them either).
  array softcapped(const array& q, array k, array v, LayerCache* cache, float scale,
                   std::optional<int> window) const {
    if (dynamic_cast<QuantizedKVCache*>(cache)) {
      throw Unsupported("[gemma2] attention soft-capping does not run on a quantized KV cache");
    }
    if (cache) {
      std::tie(k, v) = cache->update_and_fetch(k, v);
    }
    const AttentionMask m = attention_mask(q.shape(2), k.shape(2), window);
    return softcapped_attention(q, k, v, scale, *opts_.attn_softcap, m);
  }

  const GemmaOptions& opts_;
  nn::RoPE rope_;
  std::optional<int> window_;
  std::unique_ptr<nn::LinearLayer> q_proj_, k_proj_, v_proj_, o_proj_;
  std::unique_ptr<GemmaRMSNorm> q_norm_, k_norm_;
};

class GemmaModel::Block : public nn::Module {
 public:
  Block(const GemmaOptions& o, int layer, const QuantPlan& q, const std::string& path)
      : clip_(o.clip_residual),
        attn_(o, layer, q, path + ".self_attn"),
        input_layernorm_(o.base.hidden_size, o.base.norm_eps),
        post_attention_layernorm_(o.base.hidden_size, o.base.norm_eps),
        pre_feedforward_layernorm_(o.base.hidden_size, o.base.norm_eps),
        post_feedforward_layernorm_(o.base.hidden_size, o.base.norm_eps) {
    const DecoderOptions& b = o.base;
    gate_proj_ =
        nn::make_linear(b.hidden_size, b.intermediate_size, false, q.at(path + ".mlp.gate_proj"));
    up_proj_ =
        nn::make_linear(b.hidden_size, b.intermediate_size, false, q.at(path + ".mlp.up_proj"));
    down_proj_ =
        nn::make_linear(b.intermediate_size, b.hidden_size, false, q.at(path + ".mlp.down_proj"));
    child("self_attn", attn_);
    mlp_.child("gate_proj", gate_proj_);
    mlp_.child("up_proj", up_proj_);
    mlp_.child("down_proj", down_proj_);
    child("mlp", mlp_);
    child("input_layernorm", input_layernorm_);
    child("post_attention_layernorm", post_attention_layernorm_);
    child("pre_feedforward_layernorm", pre_feedforward_layernorm_);
    child("post_feedforward_layernorm", post_feedforward_layernorm_);
  }

  array operator()(const array& x, LayerCache* cache) const {
    const array h = residual(x, post_attention_layernorm_(attn_(input_layernorm_(x), cache)));
    const array f = pre_feedforward_layernorm_(h);
    const array r = (*down_proj_)(multiply(nn::gelu_approx((*gate_proj_)(f)), (*up_proj_)(f)));
    return residual(h, post_feedforward_layernorm_(r));
  }

 private:
  array residual(const array& x, const array& y) const {
    if (!clip_ || x.dtype() != float16) {
      return add(x, y);
    }
    const float bound = 65504.0f;  // float16's largest finite value
    return astype(clip(add(astype(x, float32), astype(y, float32)), array(-bound), array(bound)),
                  float16);
  }

  struct Group : nn::Module {
    using nn::Module::child;
  };
  bool clip_;
  Attention attn_;
  Group mlp_;
  std::unique_ptr<nn::LinearLayer> gate_proj_, up_proj_, down_proj_;
  GemmaRMSNorm input_layernorm_, post_attention_layernorm_, pre_feedforward_layernorm_,
      post_feedforward_layernorm_;
};

GemmaModel::GemmaModel(const GemmaOptions& o, const QuantPlan& q) : options_(o) {
  const DecoderOptions& b = options_.base;
  body_.embed_tokens = nn::make_embedding(b.vocab_size, b.hidden_size, q.at("model.embed_tokens"));
  body_.child("embed_tokens", body_.embed_tokens);
  for (int i = 0; i < b.num_layers; ++i) {
    const std::string name = "layers." + std::to_string(i);
    body_.layers.push_back(std::make_unique<Block>(options_, i, q, "model." + name));
    body_.child(name, *body_.layers.back());
  }
  body_.norm = std::make_unique<GemmaRMSNorm>(b.hidden_size, b.norm_eps);
  body_.child("norm", body_.norm);
  child("model", body_);
  if (!b.tie_word_embeddings) {
    lm_head_ = nn::make_linear(b.hidden_size, b.vocab_size, false, q.at("lm_head"));
    child("lm_head", lm_head_);
  }
}

array GemmaModel::operator()(const array& tokens, Cache* cache) {
  if (tokens.ndim() != 2) {
    throw std::invalid_argument("[lm] tokens must be [batch, length]");
  }
  if (cache && cache->size() != body_.layers.size()) {
    throw std::invalid_argument("[lm] the cache does not match the model's layers");
  }
  CacheGuard guard(cache);  // a throwing layer leaves every layer as it was
  array h = (*body_.embed_tokens)(tokens);
  h = multiply(h, array(options_.embed_scale, h.dtype()));
  for (size_t i = 0; i < body_.layers.size(); ++i) {
    h = (*body_.layers[i])(h, cache ? (*cache)[i].get() : nullptr);
  }
  h = (*body_.norm)(h);
  array out = lm_head_ ? (*lm_head_)(h) : body_.embed_tokens->as_linear(h);
  out = options_.final_softcap ? softcap(out, *options_.final_softcap) : out;
  guard.commit();
  return out;
}

GemmaModel::~GemmaModel() = default;

Cache GemmaModel::make_cache() const {
  return layer_caches(options_.base);
}

std::unordered_map<std::string, array> GemmaModel::sanitize(
    std::unordered_map<std::string, array> weights) const {
  if (options_.base.tie_word_embeddings) {
    weights.erase("lm_head.weight");
  }
  return weights;
}

}  // namespace mlxcpp::lm
