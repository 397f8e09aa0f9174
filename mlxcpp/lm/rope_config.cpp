#include "mlxcpp/lm/rope_config.h"

#include <cmath>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/ops.h"

namespace mlxcpp::lm {

namespace {

float number(const ModelConfig& c, const nlohmann::json& s, const char* key, float fallback) {
  if (!s.contains(key) || s[key].is_null()) {
    return fallback;
  }
  if (!s[key].is_number()) {
    c.fail(std::string("rope_scaling.") + key, "expected a number, got " + s[key].dump());
  }
  return s[key].get<float>();
}

// Llama 3's frequency bands (mlx-lm's Llama3RoPE): long wavelengths slowed by `factor`,
// short ones kept, the band between blended; computed in float32 as mlx-lm does.
array llama3_freqs(const ModelConfig& c, const nlohmann::json& s, int dims, float base) {
  const float factor = number(c, s, "factor", 1.0f);
  const float low = number(c, s, "low_freq_factor", 1.0f);
  const float high = number(c, s, "high_freq_factor", 4.0f);
  const float old_len = number(c, s, "original_max_position_embeddings", 8192.0f);
  if (high == low) {
    c.fail("rope_scaling", "high_freq_factor must differ from low_freq_factor");
  }
  const float low_wavelen = old_len / low;
  const float high_wavelen = old_len / high;
  array freqs = power(array(base), divide(arange(0, dims, 2, float32), array(float(dims))));
  array wavelens = multiply(array(2.0f * float(M_PI)), freqs);
  freqs = where(greater(wavelens, array(low_wavelen)), multiply(freqs, array(factor)), freqs);
  array medium =
      logical_and(greater(wavelens, array(high_wavelen)), less(wavelens, array(low_wavelen)));
  array smooth = divide(subtract(divide(array(old_len), wavelens), array(low)), array(high - low));
  array smooth_freqs =
      divide(freqs, add(divide(subtract(array(1.0f), smooth), array(factor)), smooth));
  return where(medium, smooth_freqs, freqs);
}

}  // namespace

nn::RoPE make_rope(const ModelConfig& config, int dims, float base, bool traditional) {
  const auto& s = config.raw("rope_scaling");
  if (s.is_null()) {
    return nn::RoPE(dims, traditional, base);
  }
  if (!s.is_object()) {
    config.fail("rope_scaling", "expected an object or null");
  }
  std::string type = "default";
  if (s.contains("type") && s["type"].is_string()) {
    type = s["type"].get<std::string>();
  } else if (s.contains("rope_type") && s["rope_type"].is_string()) {
    type = s["rope_type"].get<std::string>();
  }
  if (type == "default") {
    return nn::RoPE(dims, traditional, base);
  }
  if (type == "linear") {
    const float factor = number(config, s, "factor", 1.0f);
    if (!(factor > 0)) {
      config.fail("rope_scaling.factor", "must be positive");
    }
    return nn::RoPE(dims, traditional, base, 1.0f / factor);
  }
  if (type == "llama3") {
    return nn::RoPE(dims, traditional, llama3_freqs(config, s, dims, base));
  }
  throw Unsupported("[lm::load] " + config.file() + ": rope_scaling type '" + type +
                    "' is not supported yet (default, linear and llama3 are)");
}

}  // namespace mlxcpp::lm
