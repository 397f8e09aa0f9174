#include "mlxcpp/lm/random_weights.h"

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/random.h"
#include "mlxcpp/core/transforms.h"
#include "mlxcpp/lm/config.h"

namespace mlxcpp::lm {

namespace {

array random_parameter(const nn::Module::ParameterSpec& spec, Dtype dtype, const array& key) {
  const std::string& name = spec.name;
  const Shape& shape = spec.shape;
  if (spec.dtype == uint32) {
    return random::bits(shape, 4, key);
  }
  if (name.ends_with("norm.weight") || name.ends_with("layernorm.weight")) {
    return ones(shape, dtype);
  }
  // Scales and biases vary per group and are stored densely, as in a quantized model
  // (a broadcast constant would be copied by every product and never read from memory).
  if (name.ends_with(".scales")) {
    return random::uniform(0.0015f, 0.0025f, shape, dtype, key);
  }
  if (name.ends_with(".biases")) {
    return random::uniform(-0.02f, -0.01f, shape, dtype, key);
  }
  return astype(multiply(random::normal(shape, float32, key), array(0.02f)), dtype);
}

}  // namespace

LoadedModel random_model(const std::string& config_json, Dtype dtype,
                         const std::optional<nn::QuantSpec>& quant, uint64_t seed) {
  nlohmann::json j = nlohmann::json::parse(config_json, nullptr, false);
  if (!j.is_object()) {
    throw std::invalid_argument("[random_model] the config is not a JSON object");
  }
  if (quant) {
    j["quantization"] = {
        {"group_size", quant->group_size}, {"bits", quant->bits}, {"mode", quant->mode}};
  }
  const ModelConfig config(j, "<random_model config>");
  LoadedModel out;
  out.model_type = config.get_string("model_type");
  const QuantPlan plan = quant ? QuantPlan::everything(config) : QuantPlan(config, {});
  out.model = architecture(out.model_type)(config, plan);
  std::unordered_map<std::string, array> weights;
  array key = random::key(seed);
  for (const auto& spec : out.model->parameter_specs()) {
    auto [next, sub] = random::split(key);
    key = next;
    weights.emplace(spec.name, random_parameter(spec, dtype, sub));
  }
  std::vector<array> all;
  for (auto& [name, a] : weights) {
    all.push_back(a);
  }
  eval(all);
  out.model->load_weights(weights, "<random_model>");
  return out;
}

}  // namespace mlxcpp::lm
