#include "mlxcpp/lm/models/moe.h"

#include "mlxcpp/core/ops.h"

namespace mlxcpp::lm {

SwitchLinear::SwitchLinear(int in, int out, int experts, const std::optional<nn::QuantSpec>& q)
    : quant_(q) {
  if (!quant_) {
    param("weight", weight_, {experts, out, in});
    return;
  }
  const Shape packed = nn::packed_shape(out, in, *quant_);
  const Shape sc = nn::scales_shape(out, in, *quant_);
  param("weight", weight_, {experts, packed[0], packed[1]}, uint32);
  scales_ = nn::unloaded();
  param("scales", *scales_, {experts, sc[0], sc[1]});
  if (quant_->mode == "affine") {
    biases_ = nn::unloaded();
    param("biases", *biases_, {experts, sc[0], sc[1]});
  }
}

std::unique_ptr<nn::Module> SwitchLinear::to_quantized(const nn::QuantSpec& spec) const {
  if (quant_) {
    return nullptr;
  }
  const auto q = quantize(weight_, spec.group_size, spec.bits, spec.mode);
  auto out =
      std::make_unique<SwitchLinear>(weight_.shape(2), weight_.shape(1), weight_.shape(0), spec);
  nn::set_quantized(q, out->weight_, *out->scales_, out->biases_);
  return out;
}

array SwitchLinear::operator()(const array& x, const array& indices) const {
  if (quant_) {
    return gather_qmm(x, weight_, *scales_, biases_, std::nullopt, indices, true,
                      quant_->group_size, quant_->bits, quant_->mode);
  }
  return gather_mm(x, swapaxes(weight_, -1, -2), std::nullopt, indices);
}

SwitchGLU::SwitchGLU(int hidden, int intermediate, int experts, const QuantPlan& q,
                     const std::string& path)
    : gate_proj_(
          std::make_unique<SwitchLinear>(hidden, intermediate, experts, q.at(path + ".gate_proj"))),
      up_proj_(
          std::make_unique<SwitchLinear>(hidden, intermediate, experts, q.at(path + ".up_proj"))),
      down_proj_(std::make_unique<SwitchLinear>(intermediate, hidden, experts,
                                                q.at(path + ".down_proj"))) {
  child("gate_proj", gate_proj_);
  child("up_proj", up_proj_);
  child("down_proj", down_proj_);
}

array SwitchGLU::operator()(const array& x, const array& indices) const {
  const array xe = expand_dims(x, {-2, -3});  // [B, T, 1, 1, hidden]
  const array h = nn::swiglu((*gate_proj_)(xe, indices), (*up_proj_)(xe, indices));
  return squeeze((*down_proj_)(h, indices), -2);
}

SparseMoE::SparseMoE(int hidden, int intermediate, int experts, int top_k, Routing routing,
                     bool normalize_topk, const QuantPlan& q, const std::string& path)
    : top_k_(top_k),
      routing_(routing),
      normalize_topk_(normalize_topk),
      gate_(nn::make_linear(hidden, experts, false, q.at(path + ".gate"))),
      switch_mlp_(hidden, intermediate, experts, q, path + ".switch_mlp") {
  child("gate", gate_);
  child("switch_mlp", switch_mlp_);
}

array SparseMoE::operator()(const array& x) const {
  const array logits = (*gate_)(x);
  const int e = logits.shape(-1);
  array inds = array(0);
  array scores = array(0.0f);
  if (routing_ == Routing::softmax_then_topk) {
    const array gates = softmax(logits, -1, true);
    inds = slice(argpartition(gates, e - top_k_, -1), {0, 0, e - top_k_},
                 {gates.shape(0), gates.shape(1), e});
    scores = take_along_axis(gates, inds, -1);
    if (normalize_topk_) {
      scores = divide(scores, sum(scores, -1, true));
    }
  } else {
    inds = slice(argpartition(negative(logits), top_k_ - 1, -1), {0, 0, 0},
                 {logits.shape(0), logits.shape(1), top_k_});
    scores = softmax(take_along_axis(logits, inds, -1), -1, true);
  }
  const array y = switch_mlp_(x, inds);
  return sum(multiply(y, expand_dims(scores, -1)), -2);
}

void stack_experts(std::unordered_map<std::string, array>& weights, int layers, int experts,
                   const std::string& block,
                   const std::vector<std::pair<std::string, std::string>>& from_to) {
  if (experts == 0) {
    return;  // nothing to stack; stray expert tensors are reported as unexpected
  }
  for (int l = 0; l < layers; ++l) {
    const std::string prefix = "model.layers." + std::to_string(l) + "." + block;
    for (const auto& [from, to] : from_to) {
      for (const char* kind : {"weight", "scales", "biases"}) {
        const std::string first = prefix + ".experts.0." + from + "." + kind;
        if (!weights.count(first)) {
          continue;
        }
        std::vector<array> parts;
        for (int e = 0; e < experts; ++e) {
          const std::string name =
              prefix + ".experts." + std::to_string(e) + "." + from + "." + kind;
          auto it = weights.find(name);
          if (it == weights.end()) {
            break;  // left for load_weights to report as missing / unexpected
          }
          parts.push_back(it->second);
        }
        if (int(parts.size()) != experts) {
          continue;
        }
        for (int e = 0; e < experts; ++e) {
          weights.erase(prefix + ".experts." + std::to_string(e) + "." + from + "." + kind);
        }
        weights.insert_or_assign(prefix + ".switch_mlp." + to + "." + kind, stack(parts));
      }
    }
  }
}

}  // namespace mlxcpp::lm
