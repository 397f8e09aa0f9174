// Mixtral: Llama's attention with sparse mixture-of-experts blocks (softmax over the top-k
// router logits) named block_sparse_moe.
#include "mlxcpp/lm/models/moe.h"
#include "mlxcpp/lm/rope_config.h"

namespace mlxcpp::lm {
namespace {

std::unique_ptr<Model> make_mixtral(const ModelConfig& c, const QuantPlan& q) {
  DecoderOptions o = llama_style_options(c, q);
  o.tie_word_embeddings = c.get_bool("tie_word_embeddings", false);
  const int experts = c.get_positive("num_local_experts");
  const int top_k = c.get_positive("num_experts_per_tok");
  if (top_k > experts) {
    c.fail("num_experts_per_tok", "exceeds num_local_experts");
  }
  const nn::RoPE rope = make_rope(c, o.head_dim, c.get_positive_float("rope_theta", 1000000.0f),
                                  c.get_bool("rope_traditional", false));
  auto ff = [&](int, const std::string& path) {
    return std::make_pair(std::string("block_sparse_moe"),
                          std::unique_ptr<FeedForward>(std::make_unique<SparseMoE>(
                              o.hidden_size, o.intermediate_size, experts, top_k,
                              Routing::topk_then_softmax, false, q, path + ".block_sparse_moe")));
  };
  auto model = std::make_unique<DecoderModel>(o, rope, q, ff);
  const int layers = o.num_layers;
  model->extra_sanitize = [layers, experts](std::unordered_map<std::string, array>& w) {
    stack_experts(w, layers, experts, "block_sparse_moe",
                  {{"w1", "gate_proj"}, {"w2", "down_proj"}, {"w3", "up_proj"}});
  };
  return model;
}

const ArchitectureRegistration registration({"mixtral"}, make_mixtral);

}  // namespace
}  // namespace mlxcpp::lm
