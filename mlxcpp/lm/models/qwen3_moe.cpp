// Qwen3-MoE: Qwen3's attention with sparse mixture-of-experts blocks (softmax routing,
// optionally renormalised top-k), dense MLPs on mlp_only_layers.
#include <algorithm>

#include "mlxcpp/lm/models/moe.h"
#include "mlxcpp/lm/rope_config.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_qwen3_moe(const ModelConfig& c, const QuantPlan& q) {
  DecoderOptions o = llama_style_options(c, q);
  o.qk_norm = true;
  o.qkv_bias = c.get_bool("attention_bias", false);
  o.o_bias = o.qkv_bias;
  o.norm_eps = c.get_positive_float("rms_norm_eps", 1e-6f);
  // As mlx-lm: no experts makes every layer a dense MLP.
  const int experts = c.get_int("num_experts");
  if (experts < 0) {
    c.fail("num_experts", "must not be negative");
  }
  const int top_k = experts > 0 ? c.get_positive("num_experts_per_tok") : 0;
  if (top_k > experts) {
    c.fail("num_experts_per_tok", "exceeds num_experts");
  }
  const int moe_size = experts > 0 ? c.get_positive("moe_intermediate_size") : 0;
  const bool norm_topk = c.get_bool("norm_topk_prob", false);
  const int sparse_step = c.get_positive("decoder_sparse_step", 1);
  std::vector<int> dense_layers;
  if (c.has("mlp_only_layers")) {
    if (!c.raw("mlp_only_layers").is_array()) {
      c.fail("mlp_only_layers", "expected a list of layer indices");
    }
    for (const auto& i : c.raw("mlp_only_layers")) {
      const auto layer = integer_in(i, 0, o.num_layers - 1);
      if (!layer) {
        c.fail("mlp_only_layers", "expected layer indices below " + std::to_string(o.num_layers) +
                                      ", got " + i.dump());
      }
      dense_layers.push_back(int(*layer));
    }
  }
  const nn::RoPE rope =
      make_rope(c, o.head_dim, c.get_positive_float("rope_theta", 1000000.0f), false);
  auto ff = [&](int i, const std::string& path) {
    const bool dense = experts == 0 ||
                       std::count(dense_layers.begin(), dense_layers.end(), i) > 0 ||
                       (i + 1) % sparse_step != 0;
    std::unique_ptr<FeedForward> f;
    if (dense) {
      f = std::make_unique<SwiGLUMLP>(o.hidden_size, o.intermediate_size, false, false, q,
                                      path + ".mlp");
    } else {
      f = std::make_unique<SparseMoE>(o.hidden_size, moe_size, experts, top_k,
                                      Routing::softmax_then_topk, norm_topk, q, path + ".mlp");
    }
    return std::make_pair(std::string("mlp"), std::move(f));
  };
  auto model = std::make_unique<DecoderModel>(o, rope, q, ff);
  const int layers = o.num_layers;
  model->extra_sanitize = [layers, experts](std::unordered_map<std::string, array>& w) {
    stack_experts(w, layers, experts, "mlp",
                  {{"gate_proj", "gate_proj"}, {"up_proj", "up_proj"}, {"down_proj", "down_proj"}});
  };
  return model;
}

const ArchitectureRegistration registration({"qwen3_moe"}, make_qwen3_moe);

}  // namespace
}  // namespace mlxcpp::lm
