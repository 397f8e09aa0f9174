// Mixture-of-experts feed-forward (mlx-lm's switch_layers): a router picks k experts per
// token; each expert is a SwiGLU MLP whose weights are stacked [experts, out, in] and run
// with gather_mm / gather_qmm, so no expert weights are copied per token.
#pragma once

#include "mlxcpp/lm/models/transformer.h"

namespace mlxcpp::lm {

/** One projection for every expert: y = x W[e]^T for the expert e each row picked. */
class SwitchLinear : public nn::Module {
 public:
  SwitchLinear(int in, int out, int experts, const std::optional<nn::QuantSpec>& quant);
  /** x [..., 1, in] with indices [..., k] -> [..., k, 1, out]. */
  array operator()(const array& x, const array& indices) const;
  /** Every expert's weight quantized (nullptr when already quantized). */
  std::unique_ptr<nn::Module> to_quantized(const nn::QuantSpec& spec) const override;

 protected:
  int quantized_bits() const override { return quant_ ? quant_->bits : 0; }

 private:
  std::optional<nn::QuantSpec> quant_;
  array weight_ = nn::unloaded();
  std::optional<array> scales_, biases_;
};

class SwitchGLU : public nn::Module {
 public:
  SwitchGLU(int hidden, int intermediate, int experts, const QuantPlan& q, const std::string& path);
  /** x [B, T, hidden], indices [B, T, k] -> [B, T, k, hidden]. */
  array operator()(const array& x, const array& indices) const;

 private:
  std::unique_ptr<SwitchLinear> gate_proj_, up_proj_, down_proj_;
};

/** How router logits become k experts and their weights. */
enum class Routing {
  softmax_then_topk,  // Qwen3-MoE: softmax over all experts, the top k (renormalised if asked)
  topk_then_softmax,  // Mixtral: the top k logits, softmax over them
};

class SparseMoE : public FeedForward {
 public:
  SparseMoE(int hidden, int intermediate, int experts, int top_k, Routing routing,
            bool normalize_topk, const QuantPlan& q, const std::string& path);
  array operator()(const array& x) const override;

 private:
  int top_k_;
  Routing routing_;
  bool normalize_topk_;
  std::unique_ptr<nn::LinearLayer> gate_;
  SwitchGLU switch_mlp_;
};

/** Stacks per-expert tensors "<layer>.<block>.experts.<e>.<from>.<kind>" into
 *  "<layer>.<block>.switch_mlp.<to>.<kind>" (mlx-lm's sanitize for HF checkpoints). */
void stack_experts(std::unordered_map<std::string, array>& weights, int layers, int experts,
                   const std::string& block,
                   const std::vector<std::pair<std::string, std::string>>& from_to);

}  // namespace mlxcpp::lm
