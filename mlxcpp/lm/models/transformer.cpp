#include "mlxcpp/lm/models/transformer.h"

#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "mlxcpp/core/fast.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/lm/attention.h"

namespace mlxcpp::lm {

void check_widths(const ModelConfig& c, const DecoderOptions& o) {
  if ((int64_t(o.num_heads) + 2 * int64_t(o.num_kv_heads)) * o.head_dim > INT32_MAX ||
      2 * int64_t(o.intermediate_size) > INT32_MAX) {
    c.fail("head_dim", "the attention or MLP widths exceed 2^31 - 1");
  }
}

DecoderOptions llama_style_options(const ModelConfig& c, const QuantPlan& q) {
  DecoderOptions o;
  o.vocab_size = c.get_positive("vocab_size");
  o.hidden_size = c.get_positive("hidden_size");
  o.intermediate_size = c.get_positive("intermediate_size");
  o.num_layers = c.get_positive("num_hidden_layers");
  o.num_heads = c.get_positive("num_attention_heads");
  o.num_kv_heads = c.get_positive("num_key_value_heads", o.num_heads);
  if (o.num_heads % o.num_kv_heads != 0) {
    c.fail("num_key_value_heads",
           "must divide num_attention_heads (" + std::to_string(o.num_heads) + ")");
  }
  if (!c.has("head_dim") && o.hidden_size % o.num_heads != 0) {
    c.fail("hidden_size", "must be a multiple of num_attention_heads when head_dim is absent");
  }
  o.head_dim = c.get_positive("head_dim", o.hidden_size / o.num_heads);
  check_widths(c, o);
  o.norm_eps = c.get_positive_float("rms_norm_eps", 1e-5f);
  o.qkv_bias = c.get_bool("attention_bias", false);
  o.o_bias = o.qkv_bias;
  o.mlp_bias = c.get_bool("mlp_bias", false);
  // Absent, the checkpoint decides: an lm_head it holds is never dropped unasked.
  o.tie_word_embeddings = c.get_bool("tie_word_embeddings", !q.has_weight("lm_head.weight"));
  return o;
}

Attention::Attention(const DecoderOptions& o, nn::RoPE rope, const QuantPlan& q,
                     const std::string& path, std::optional<int> window)
    : heads_(o.num_heads),
      kv_heads_(o.num_kv_heads),
      head_dim_(o.head_dim),
      scale_(1.0f / std::sqrt(float(o.head_dim))),
      window_(window),
      rope_(std::move(rope)) {
  const int h = o.hidden_size;
  if (o.fused_qkv) {
    qkv_proj_ = nn::make_linear(h, (heads_ + 2 * kv_heads_) * head_dim_, o.qkv_bias,
                                q.at(path + ".qkv_proj"));
    child("qkv_proj", qkv_proj_);
  } else {
    q_proj_ = nn::make_linear(h, heads_ * head_dim_, o.qkv_bias, q.at(path + ".q_proj"));
    k_proj_ = nn::make_linear(h, kv_heads_ * head_dim_, o.qkv_bias, q.at(path + ".k_proj"));
    v_proj_ = nn::make_linear(h, kv_heads_ * head_dim_, o.qkv_bias, q.at(path + ".v_proj"));
    child("q_proj", q_proj_);
    child("k_proj", k_proj_);
    child("v_proj", v_proj_);
  }
  o_proj_ = nn::make_linear(heads_ * head_dim_, h, o.o_bias, q.at(path + ".o_proj"));
  child("o_proj", o_proj_);
  if (o.qk_norm) {
    q_norm_ = std::make_unique<nn::RMSNorm>(head_dim_, o.norm_eps);
    k_norm_ = std::make_unique<nn::RMSNorm>(head_dim_, o.norm_eps);
    child("q_norm", q_norm_);
    child("k_norm", k_norm_);
  }
}

array Attention::operator()(const array& x, LayerCache* cache) const {
  const int b = x.shape(0), t = x.shape(1);
  std::vector<array> qkv;
  if (qkv_proj_) {
    const int qn = heads_ * head_dim_;
    qkv = split((*qkv_proj_)(x), Shape{qn, qn + kv_heads_ * head_dim_}, -1);
  } else {
    qkv = nn::apply_linears({q_proj_.get(), k_proj_.get(), v_proj_.get()}, x);
  }
  array q = reshape(qkv[0], {b, t, heads_, head_dim_});
  array k = reshape(qkv[1], {b, t, kv_heads_, head_dim_});
  array v = reshape(qkv[2], {b, t, kv_heads_, head_dim_});
  if (q_norm_) {
    q = (*q_norm_)(q);
    k = (*k_norm_)(k);
  }
  q = transpose(q, {0, 2, 1, 3});
  k = transpose(k, {0, 2, 1, 3});
  v = transpose(v, {0, 2, 1, 3});
  const int offset = cache ? cache->offset() : 0;
  q = rope_(q, offset);
  k = rope_(k, offset);
  array o = cached_attention(q, k, v, cache, scale_, window_);
  o = reshape(transpose(o, {0, 2, 1, 3}), {b, t, heads_ * head_dim_});
  return (*o_proj_)(o);
}

SwiGLUMLP::SwiGLUMLP(int hidden, int intermediate, bool bias, bool fused, const QuantPlan& q,
                     const std::string& path) {
  if (fused) {
    gate_up_proj_ = nn::make_linear(hidden, 2 * intermediate, bias, q.at(path + ".gate_up_proj"));
    child("gate_up_proj", gate_up_proj_);
  } else {
    gate_proj_ = nn::make_linear(hidden, intermediate, bias, q.at(path + ".gate_proj"));
    up_proj_ = nn::make_linear(hidden, intermediate, bias, q.at(path + ".up_proj"));
    child("gate_proj", gate_proj_);
    child("up_proj", up_proj_);
  }
  down_proj_ = nn::make_linear(intermediate, hidden, bias, q.at(path + ".down_proj"));
  child("down_proj", down_proj_);
}

array SwiGLUMLP::operator()(const array& x) const {
  if (gate_up_proj_) {
    const auto parts = split((*gate_up_proj_)(x), 2, -1);
    return (*down_proj_)(nn::swiglu(parts[0], parts[1]));
  }
  const auto gate_up = nn::apply_linears({gate_proj_.get(), up_proj_.get()}, x);
  return (*down_proj_)(nn::swiglu(gate_up[0], gate_up[1]));
}

DecoderBlock::DecoderBlock(const DecoderOptions& o, nn::RoPE rope, const QuantPlan& q,
                           const std::string& path,
                           std::pair<std::string, std::unique_ptr<FeedForward>> ff,
                           std::optional<int> window)
    : input_layernorm_(o.hidden_size, o.norm_eps),
      post_attention_layernorm_(o.hidden_size, o.norm_eps),
      self_attn_(o, std::move(rope), q, path + ".self_attn", window),
      mlp_(std::move(ff.second)) {
  child("input_layernorm", input_layernorm_);
  child("post_attention_layernorm", post_attention_layernorm_);
  child("self_attn", self_attn_);
  child(ff.first, *mlp_);
}

array DecoderBlock::operator()(const array& x, LayerCache* cache) const {
  array h = add(x, self_attn_(input_layernorm_(x), cache));
  return add(h, (*mlp_)(post_attention_layernorm_(h)));
}

DecoderModel::DecoderModel(const DecoderOptions& o, const nn::RoPE& rope, const QuantPlan& q,
                           FeedForwardFactory feed_forward)
    : options_(o) {
  if (!feed_forward) {
    feed_forward = [&](int, const std::string& layer_path) {
      return std::make_pair(std::string("mlp"),
                            std::unique_ptr<FeedForward>(std::make_unique<SwiGLUMLP>(
                                o.hidden_size, o.intermediate_size, o.mlp_bias, o.fused_gate_up, q,
                                layer_path + ".mlp")));
    };
  }
  body_.embed_tokens = nn::make_embedding(o.vocab_size, o.hidden_size, q.at("model.embed_tokens"));
  body_.child("embed_tokens", body_.embed_tokens);
  for (int i = 0; i < o.num_layers; ++i) {
    const std::string name = "layers." + std::to_string(i);
    const std::string path = "model." + name;
    body_.layers.push_back(std::make_unique<DecoderBlock>(o, rope, q, path, feed_forward(i, path),
                                                          attention_window(o, i)));
    body_.child(name, *body_.layers.back());
  }
  body_.norm = std::make_unique<nn::RMSNorm>(o.hidden_size, o.norm_eps);
  body_.child("norm", body_.norm);
  child("model", body_);
  if (!o.tie_word_embeddings) {
    lm_head_ = nn::make_linear(o.hidden_size, o.vocab_size, false, q.at("lm_head"));
    child("lm_head", lm_head_);
  }
}

array DecoderModel::operator()(const array& tokens, Cache* cache) {
  if (tokens.ndim() != 2) {
    throw std::invalid_argument("[lm] tokens must be [batch, length]");
  }
  if (cache && cache->size() != body_.layers.size()) {
    throw std::invalid_argument("[lm] the cache has " + std::to_string(cache->size()) +
                                " layers; the model has " + std::to_string(body_.layers.size()));
  }
  CacheGuard guard(cache);  // a throwing layer leaves every layer as it was
  array h = (*body_.embed_tokens)(tokens);
  for (size_t i = 0; i < body_.layers.size(); ++i) {
    h = (*body_.layers[i])(h, cache ? (*cache)[i].get() : nullptr);
  }
  h = (*body_.norm)(h);
  array out = lm_head_ ? (*lm_head_)(h) : body_.embed_tokens->as_linear(h);
  guard.commit();
  return out;
}

Cache DecoderModel::make_cache() const {
  return layer_caches(options_);
}

std::optional<int> attention_window(const DecoderOptions& o, int layer) {
  const bool sliding = size_t(layer) < o.sliding_layers.size() && o.sliding_layers[layer];
  return sliding ? std::optional<int>(o.sliding_window) : std::nullopt;
}

Cache layer_caches(const DecoderOptions& o) {
  Cache c;
  for (int i = 0; i < o.num_layers; ++i) {
    if (const auto window = attention_window(o, i)) {
      c.push_back(std::make_unique<RotatingKVCache>(*window));
    } else {
      c.push_back(std::make_unique<KVCache>());
    }
  }
  return c;
}

std::unordered_map<std::string, array> DecoderModel::sanitize(
    std::unordered_map<std::string, array> weights) const {
  for (auto it = weights.begin(); it != weights.end();) {
    const bool rotary = it->first.find("self_attn.rotary_emb.inv_freq") != std::string::npos;
    const bool tied_head = options_.tie_word_embeddings && it->first.rfind("lm_head.", 0) == 0;
    it = (rotary || tied_head) ? weights.erase(it) : std::next(it);
  }
  if (extra_sanitize) {
    extra_sanitize(weights);
  }
  return weights;
}

}  // namespace mlxcpp::lm
