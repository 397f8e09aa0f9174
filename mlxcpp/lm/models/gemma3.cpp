// Gemma 3 as published multimodal (model_type "gemma3", e.g. gemma-3-4b/12b/27b-it): its
// text model is gemma3_text under "language_model.", configured by text_config; the vision
// tower and projector are dropped, as mlx-lm's gemma3 module does.
#include "mlxcpp/core/errors.h"
#include "mlxcpp/lm/models/transformer.h"

namespace mlxcpp::lm {
namespace {

constexpr const char* kPrefix = "language_model.";

class Gemma3Model : public Model {
 public:
  Gemma3Model(const ModelConfig& text, const QuantPlan& q)
      : language_model_(architecture("gemma3_text")(text, q.under(kPrefix))) {
    child("language_model", *language_model_);
  }
  array operator()(const array& tokens, Cache* cache) override {
    return (*language_model_)(tokens, cache);
  }
  Cache make_cache() const override { return language_model_->make_cache(); }
  /** Drops vision_tower.* and multi_modal_projector.*; the text model's own sanitize runs
   *  under the prefix. */
  std::unordered_map<std::string, array> sanitize(
      std::unordered_map<std::string, array> weights) const override {
    std::unordered_map<std::string, array> text, out;
    for (auto& [name, a] : weights) {
      if (name.starts_with(kPrefix)) {
        text.emplace(name.substr(std::string(kPrefix).size()), std::move(a));
      } else if (!name.starts_with("vision_tower.") &&
                 !name.starts_with("multi_modal_projector.")) {
        out.emplace(name, std::move(a));  // left for load_weights to report as unexpected
      }
    }
    for (auto& [name, a] : language_model_->sanitize(std::move(text))) {
      out.emplace(kPrefix + name, std::move(a));
    }
    return out;
  }

 private:
  std::unique_ptr<Model> language_model_;
};

// text_config with mlx-lm's gemma3 ModelArgs defaults: the wrapper's vocab_size (262208
// when absent) and 8 / 4 attention / key-value heads when text_config leaves them out.
ModelConfig text_config(const ModelConfig& c) {
  const auto& t = c.raw("text_config");
  if (!t.is_object()) {
    c.fail("text_config", "expected an object");
  }
  nlohmann::json j = t;
  j["model_type"] = "gemma3_text";
  j["vocab_size"] = c.get_positive("vocab_size", 262208);
  if (!j.contains("num_attention_heads")) {
    j["num_attention_heads"] = 8;
  }
  if (!j.contains("num_key_value_heads")) {
    j["num_key_value_heads"] = 4;
  }
  return ModelConfig(std::move(j), c.file() + " (text_config)");
}

std::unique_ptr<Model> make_gemma3(const ModelConfig& c, const QuantPlan& q) {
  return std::make_unique<Gemma3Model>(text_config(c), q);
}

const ArchitectureRegistration registration({"gemma3"}, make_gemma3);

}  // namespace
}  // namespace mlxcpp::lm
