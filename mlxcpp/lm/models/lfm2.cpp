// LFM2 (mlx-lm's lfm2.py): a hybrid of gated short-convolution layers and GQA attention
// layers (per-head q/k RMSNorm), each followed by a SwiGLU feed-forward; a final
// "embedding_norm" and an output head tied to the embedding. Conv layers keep their last
// conv_L_cache - 1 gated inputs in an ArraysCache, attention layers a KVCache.
#include <cmath>
#include <stdexcept>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/lm/attention.h"
#include "mlxcpp/lm/config.h"
#include "mlxcpp/lm/model.h"
#include "mlxcpp/nn/embedding.h"
#include "mlxcpp/nn/layers.h"
#include "mlxcpp/nn/linear.h"

namespace mlxcpp::lm {
namespace {

struct Lfm2Options {
  int vocab_size = 0, hidden_size = 0, num_layers = 0;
  int num_heads = 0, num_kv_heads = 0, head_dim = 0;
  int ff_dim = 0;       // after block_auto_adjust_ff_dim
  int conv_kernel = 0;  // conv_L_cache
  bool conv_bias = false;
  float norm_eps = 1e-5f;
  float rope_theta = 1000000.0f;
  std::vector<bool> is_attention;  // per layer
};

// mlx-lm's MLP sizing: 2/3 of block_ff_dim, times the multiplier, rounded up to a multiple.
int adjusted_ff_dim(const ModelConfig& c) {
  // In int64 and double: a large multiplier or multiple_of must not overflow on the way.
  int64_t ff = c.get_positive("block_ff_dim");
  if (c.get_bool("block_auto_adjust_ff_dim", false)) {
    ff = int64_t(2.0 * double(ff) / 3.0);
    if (c.has("block_ffn_dim_multiplier")) {
      const double m = c.get_positive_float("block_ffn_dim_multiplier", 1.0f);
      const double scaled = m * double(ff);
      if (scaled > double(INT32_MAX)) {
        c.fail("block_ffn_dim_multiplier", "gives a feed-forward width past 2^31 - 1");
      }
      ff = int64_t(scaled);
    }
    const int64_t multiple = c.get_positive("block_multiple_of");
    ff = multiple * ((ff + multiple - 1) / multiple);
  }
  if (ff < 1) {
    c.fail("block_ff_dim", "gives an empty feed-forward after adjustment");
  }
  if (2 * ff > INT32_MAX) {
    c.fail("block_ff_dim", "gives a feed-forward width too large for this build (over 2^30)");
  }
  return int(ff);
}

// Which layers attend: full_attn_idxs when given, else layer_types == "full_attention".
std::vector<bool> attention_layers(const ModelConfig& c, int layers) {
  std::vector<bool> out(size_t(layers), false);
  if (c.has("full_attn_idxs")) {
    const auto& idx = c.raw("full_attn_idxs");
    if (!idx.is_array()) {
      c.fail("full_attn_idxs", "expected a list of layer indices");
    }
    for (const auto& i : idx) {
      const auto layer = integer_in(i, 0, layers - 1);
      if (!layer) {
        c.fail("full_attn_idxs",
               "expected layer indices below " + std::to_string(layers) + ", got " + i.dump());
      }
      out[size_t(*layer)] = true;
    }
  } else {
    const auto types = layer_types(c, layers, {"conv", "full_attention"});
    for (size_t i = 0; i < types.size(); ++i) {
      out[i] = types[i] == "full_attention";
    }
  }
  return out;
}

Lfm2Options lfm2_options(const ModelConfig& c) {
  Lfm2Options o;
  o.vocab_size = c.get_positive("vocab_size");
  o.hidden_size = c.get_positive("hidden_size");
  o.num_layers = c.get_positive("num_hidden_layers");
  o.num_heads = c.get_positive("num_attention_heads");
  o.num_kv_heads = c.get_positive("num_key_value_heads", o.num_heads);
  if (o.hidden_size % o.num_heads != 0 || o.num_heads % o.num_kv_heads != 0) {
    c.fail("num_attention_heads",
           "must divide hidden_size and be a multiple of num_key_value_heads");
  }
  o.head_dim = o.hidden_size / o.num_heads;
  if (3 * int64_t(o.hidden_size) > INT32_MAX) {
    c.fail("hidden_size", "3 x hidden_size (the fused convolution input) exceeds 2^31 - 1");
  }
  if (o.head_dim % 2 != 0) {
    c.fail("hidden_size", "hidden_size / num_attention_heads (the rotary dimensions, " +
                              std::to_string(o.head_dim) + ") must be even");
  }
  if (c.get_positive("block_dim") != o.hidden_size) {
    c.fail("block_dim", "must equal hidden_size (" + std::to_string(o.hidden_size) + ")");
  }
  o.ff_dim = adjusted_ff_dim(c);
  o.conv_kernel = c.get_positive("conv_L_cache");
  o.conv_bias = c.get_bool("conv_bias", false);
  if (!c.has("norm_eps")) {
    c.fail("norm_eps", "is required");
  }
  o.norm_eps = c.get_positive_float("norm_eps", 1e-5f);
  o.rope_theta = c.get_positive_float("rope_theta", 1000000.0f);
  const auto& rp = c.raw("rope_parameters");
  if (rp.is_object() && rp.contains("rope_theta")) {
    if (!rp["rope_theta"].is_number() || !(rp["rope_theta"].get<float>() > 0) ||
        !std::isfinite(rp["rope_theta"].get<float>())) {
      c.fail("rope_parameters", "rope_theta must be a positive number");
    }
    o.rope_theta = rp["rope_theta"].get<float>();
  }
  o.is_attention = attention_layers(c, o.num_layers);
  return o;
}

class Lfm2Attention : public nn::Module {
 public:
  Lfm2Attention(const Lfm2Options& o, const QuantPlan& q, const std::string& path)
      : o_(o),
        q_layernorm_(o.head_dim, o.norm_eps),
        k_layernorm_(o.head_dim, o.norm_eps),
        rope_(o.head_dim, false, o.rope_theta) {
    const int h = o.hidden_size, hd = o.head_dim;
    q_proj_ = nn::make_linear(h, o.num_heads * hd, false, q.at(path + ".q_proj"));
    k_proj_ = nn::make_linear(h, o.num_kv_heads * hd, false, q.at(path + ".k_proj"));
    v_proj_ = nn::make_linear(h, o.num_kv_heads * hd, false, q.at(path + ".v_proj"));
    out_proj_ = nn::make_linear(o.num_heads * hd, h, false, q.at(path + ".out_proj"));
    child("q_proj", q_proj_);
    child("k_proj", k_proj_);
    child("v_proj", v_proj_);
    child("out_proj", out_proj_);
    child("q_layernorm", q_layernorm_);
    child("k_layernorm", k_layernorm_);
  }

  array operator()(const array& x, LayerCache* cache) const {
    const int b = x.shape(0), t = x.shape(1);
    auto heads = [&](const array& a, int n) { return reshape(a, {b, t, n, o_.head_dim}); };
    array q = transpose(q_layernorm_(heads((*q_proj_)(x), o_.num_heads)), {0, 2, 1, 3});
    array k = transpose(k_layernorm_(heads((*k_proj_)(x), o_.num_kv_heads)), {0, 2, 1, 3});
    array v = transpose(heads((*v_proj_)(x), o_.num_kv_heads), {0, 2, 1, 3});
    const int offset = cache ? cache->offset() : 0;
    q = rope_(q, offset);
    k = rope_(k, offset);
    const float scale = 1.0f / std::sqrt(float(o_.head_dim));
    array out = cached_attention(q, k, v, cache, scale);
    out = reshape(transpose(out, {0, 2, 1, 3}), {b, t, o_.num_heads * o_.head_dim});
    return (*out_proj_)(out);
  }

 private:
  const Lfm2Options& o_;
  nn::RMSNorm q_layernorm_, k_layernorm_;
  nn::RoPE rope_;
  std::unique_ptr<nn::LinearLayer> q_proj_, k_proj_, v_proj_, out_proj_;
};

// A depthwise Conv1d's parameters as MLX stores them: weight [C, K, 1], optional bias [C].
class DepthwiseConv : public nn::Module {
 public:
  DepthwiseConv(int channels, int kernel, bool bias) : channels_(channels) {
    param("weight", weight_, {channels, kernel, 1});
    if (bias) {
      bias_ = nn::unloaded();
      param("bias", *bias_, {channels});
    }
  }
  /** x [B, L + K - 1, C] (already left-padded) -> [B, L, C]. */
  array operator()(const array& x) const {
    array y = conv1d(x, weight_, 1, 0, 1, channels_);
    return bias_ ? add(y, *bias_) : y;
  }

 private:
  int channels_;
  array weight_ = nn::unloaded();
  std::optional<array> bias_;
};

// Gated short convolution: in_proj gives B, C, x; the conv runs over B * x (with the previous
// K - 1 gated inputs from the cache) and C gates its output.
class ShortConv : public nn::Module {
 public:
  ShortConv(const Lfm2Options& o, const QuantPlan& q, const std::string& path)
      : o_(o), conv_(o.hidden_size, o.conv_kernel, o.conv_bias) {
    const int h = o.hidden_size;
    in_proj_ = nn::make_linear(h, 3 * h, o.conv_bias, q.at(path + ".in_proj"));
    out_proj_ = nn::make_linear(h, h, o.conv_bias, q.at(path + ".out_proj"));
    child("conv", conv_);
    child("in_proj", in_proj_);
    child("out_proj", out_proj_);
  }

  array operator()(const array& x, LayerCache* cache) const {
    ArraysCache* state_cache = nullptr;
    if (cache) {
      state_cache = dynamic_cast<ArraysCache*>(cache);
      if (!state_cache) {
        throw std::invalid_argument("[lfm2] a conv layer needs an ArraysCache, got a " +
                                    cache->class_name());
      }
    }
    const auto bcx = split((*in_proj_)(x), 3, -1);
    array bx = multiply(bcx[0], bcx[2]);
    const int b = bx.shape(0), t = bx.shape(1), keep = o_.conv_kernel - 1;
    std::optional<array> state;
    if (state_cache) {
      state = state_cache->get(0);
    }
    if (!state) {
      state = zeros({b, keep, o_.hidden_size}, bx.dtype());
    }
    bx = concatenate({astype(*state, bx.dtype()), bx}, 1);
    const array y = multiply(bcx[1], conv_(bx));
    array out = (*out_proj_)(y);
    if (state_cache) {
      // Everything above built without error: commit the new window.
      const int len = bx.shape(1);
      state_cache->set(0, slice(bx, {0, len - keep, 0}, {b, len, o_.hidden_size}), t);
    }
    return out;
  }

 private:
  const Lfm2Options& o_;
  DepthwiseConv conv_;
  std::unique_ptr<nn::LinearLayer> in_proj_, out_proj_;
};

class Lfm2MLP : public nn::Module {
 public:
  Lfm2MLP(const Lfm2Options& o, const QuantPlan& q, const std::string& path) {
    w1_ = nn::make_linear(o.hidden_size, o.ff_dim, false, q.at(path + ".w1"));
    w3_ = nn::make_linear(o.hidden_size, o.ff_dim, false, q.at(path + ".w3"));
    w2_ = nn::make_linear(o.ff_dim, o.hidden_size, false, q.at(path + ".w2"));
    child("w1", w1_);
    child("w2", w2_);
    child("w3", w3_);
  }
  array operator()(const array& x) const { return (*w2_)(nn::swiglu((*w1_)(x), (*w3_)(x))); }

 private:
  std::unique_ptr<nn::LinearLayer> w1_, w2_, w3_;
};

class Lfm2Block : public nn::Module {
 public:
  Lfm2Block(const Lfm2Options& o, const QuantPlan& q, const std::string& path, bool attention)
      : operator_norm_(o.hidden_size, o.norm_eps),
        ffn_norm_(o.hidden_size, o.norm_eps),
        feed_forward_(o, q, path + ".feed_forward") {
    if (attention) {
      self_attn_ = std::make_unique<Lfm2Attention>(o, q, path + ".self_attn");
      child("self_attn", self_attn_);
    } else {
      conv_ = std::make_unique<ShortConv>(o, q, path + ".conv");
      child("conv", conv_);
    }
    child("operator_norm", operator_norm_);
    child("ffn_norm", ffn_norm_);
    child("feed_forward", feed_forward_);
  }

  array operator()(const array& x, LayerCache* cache) const {
    const array n = operator_norm_(x);
    const array h = add(x, self_attn_ ? (*self_attn_)(n, cache) : (*conv_)(n, cache));
    return add(h, feed_forward_(ffn_norm_(h)));
  }

 private:
  nn::RMSNorm operator_norm_, ffn_norm_;
  std::unique_ptr<Lfm2Attention> self_attn_;
  std::unique_ptr<ShortConv> conv_;
  Lfm2MLP feed_forward_;
};

class Lfm2Model : public Model {
 public:
  Lfm2Model(Lfm2Options o, const QuantPlan& q) : o_(std::move(o)) {
    body_.embed_tokens =
        nn::make_embedding(o_.vocab_size, o_.hidden_size, q.at("model.embed_tokens"));
    body_.child("embed_tokens", body_.embed_tokens);
    for (int i = 0; i < o_.num_layers; ++i) {
      const std::string name = "layers." + std::to_string(i);
      body_.layers.push_back(
          std::make_unique<Lfm2Block>(o_, q, "model." + name, o_.is_attention[size_t(i)]));
      body_.child(name, *body_.layers.back());
    }
    body_.embedding_norm = std::make_unique<nn::RMSNorm>(o_.hidden_size, o_.norm_eps);
    body_.child("embedding_norm", body_.embedding_norm);
    child("model", body_);
  }

  array operator()(const array& tokens, Cache* cache) override {
    if (tokens.ndim() != 2) {
      throw std::invalid_argument("[lfm2] tokens must be [batch, length]");
    }
    if (cache && cache->size() != body_.layers.size()) {
      throw std::invalid_argument("[lfm2] the cache has " + std::to_string(cache->size()) +
                                  " layers; the model has " + std::to_string(body_.layers.size()));
    }
    CacheGuard guard(cache);  // a throwing layer leaves every layer as it was
    array h = (*body_.embed_tokens)(tokens);
    for (size_t i = 0; i < body_.layers.size(); ++i) {
      h = (*body_.layers[i])(h, cache ? (*cache)[i].get() : nullptr);
    }
    array out = body_.embed_tokens->as_linear((*body_.embedding_norm)(h));
    guard.commit();
    return out;
  }

  /** KVCache for attention layers, a one-array ArraysCache (the conv window) for the rest. */
  Cache make_cache() const override {
    Cache c;
    for (bool attention : o_.is_attention) {
      if (attention) {
        c.push_back(std::make_unique<KVCache>());
      } else {
        c.push_back(std::make_unique<ArraysCache>(1));
      }
    }
    return c;
  }

  /** Hugging Face stores the conv weight as [C, 1, K]; MLX as [C, K, 1]. */
  std::unordered_map<std::string, array> sanitize(
      std::unordered_map<std::string, array> weights) const override {
    for (auto& [name, w] : weights) {
      if (name.find("conv.weight") != std::string::npos && w.ndim() == 3 &&
          w.shape(-1) > w.shape(1)) {
        w = transpose(w, {0, 2, 1});
      }
    }
    return weights;
  }

 private:
  struct Body : nn::Module {
    using nn::Module::child;
    std::unique_ptr<nn::EmbeddingLayer> embed_tokens;
    std::vector<std::unique_ptr<Lfm2Block>> layers;
    std::unique_ptr<nn::RMSNorm> embedding_norm;
  };
  Lfm2Options o_;
  Body body_;
};

std::unique_ptr<Model> make_lfm2(const ModelConfig& c, const QuantPlan& q) {
  return std::make_unique<Lfm2Model>(lfm2_options(c), q);
}

const ArchitectureRegistration registration({"lfm2"}, make_lfm2);

}  // namespace
}  // namespace mlxcpp::lm
