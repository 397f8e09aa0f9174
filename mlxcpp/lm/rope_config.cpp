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
  if (!s[key].is_number() || !std::isfinite(s[key].get<float>())) {
    c.fail(std::string("rope_scaling.") + key, "expected a number, got " + s[key].dump());
  }
  return s[key].get<float>();
}

// A rope_scaling value that must be positive.
float positive(const ModelConfig& c, const nlohmann::json& s, const char* key, float fallback) {
  const float v = number(c, s, key, fallback);
  if (!(v > 0)) {
    c.fail(std::string("rope_scaling.") + key, "must be positive, got " + s[key].dump());
  }
  return v;
}

// Llama 3's frequency bands (mlx-lm's Llama3RoPE): long wavelengths slowed by `factor`,
// short ones kept, the band between blended; computed in float32 as mlx-lm does.
array llama3_freqs(const ModelConfig& c, const nlohmann::json& s, int dims, float base) {
  const float factor = positive(c, s, "factor", 1.0f);
  const float low = positive(c, s, "low_freq_factor", 1.0f);
  const float high = positive(c, s, "high_freq_factor", 4.0f);
  const float old_len = positive(c, s, "original_max_position_embeddings", 8192.0f);
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

// base^(2i / dims) for the dims / 2 rotated pairs, in float32.
array periods(int dims, float base) {
  return power(array(base), divide(arange(0, dims, 2, float32), array(float(dims))));
}

// mlx-lm's YarnRoPE: per-pair blend of the interpolated and extrapolated periods, and
// an attention temperature folded into the rotated features.
nn::RoPE yarn_rope(const ModelConfig& c, const nlohmann::json& s, int dims, float base,
                   bool traditional) {
  const double factor = number(c, s, "factor", 1.0f);
  const double original = number(c, s, "original_max_position_embeddings", 4096.0f);
  const double beta_fast = positive(c, s, "beta_fast", 32.0f);
  const double beta_slow = positive(c, s, "beta_slow", 1.0f);
  const double mscale = number(c, s, "mscale", 1.0f);
  const double mscale_all_dim = number(c, s, "mscale_all_dim", 0.0f);
  if (!(factor > 0) || !(original > 0) || !(base > 1)) {
    c.fail("rope_scaling", "yarn needs factor > 0, original_max_position_embeddings > 0, base > 1");
  }
  auto correction_dim = [&](double rotations) {
    return dims * std::log(original / (rotations * 2 * M_PI)) / (2 * std::log(double(base)));
  };
  const double low = std::max(std::floor(correction_dim(beta_fast)), 0.0);
  double high = std::min(std::ceil(correction_dim(beta_slow)), double(dims - 1));
  auto get_mscale = [](double scale, double m) {
    return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0;
  };
  if (low == high) {
    high += 0.001;
  }
  const array ramp = clip(
      divide(subtract(arange(0, dims / 2, float32), array(float(low))), array(float(high - low))),
      array(0.0f), array(1.0f));
  const array mask = subtract(array(1.0f), ramp);
  const array extra = periods(dims, base);
  const array inter = multiply(array(float(factor)), extra);
  const array freqs =
      divide(multiply(inter, extra),
             add(multiply(inter, mask), multiply(extra, subtract(array(1.0f), mask))));
  nn::RoPE r(dims, traditional, freqs);
  // An explicit attention_factor is the temperature itself (Hugging Face's yarn parameters).
  r.input_scale = s.contains("attention_factor") && !s["attention_factor"].is_null()
                      ? positive(c, s, "attention_factor", 1.0f)
                      : float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim));
  return r;
}

// mlx-lm's SuScaledRoPE (LongRoPE / Phi-3 "su"): periods times long_factor (mlx-lm uses
// the long factors at every length) and sqrt(1 + ln(f) / ln(original)) on the features.
nn::RoPE longrope(const ModelConfig& c, const nlohmann::json& s, int dims, float base) {
  const float max_pos = float(c.get_positive("max_position_embeddings", 131072));
  const float original = number(c, s, "original_max_position_embeddings",
                                float(c.get_positive("original_max_position_embeddings", 4096)));
  if (!(original > 1)) {
    c.fail("rope_scaling.original_max_position_embeddings", "must be above 1");
  }
  const auto& lf = s.contains("long_factor") ? s["long_factor"] : nlohmann::json(1.0);
  std::vector<float> factors;
  if (lf.is_number()) {
    factors.assign(dims / 2, lf.get<float>());
  } else if (lf.is_array() && int(lf.size()) == dims / 2) {
    for (const auto& v : lf) {
      if (!v.is_number()) {
        c.fail("rope_scaling.long_factor", "expected numbers");
      }
      factors.push_back(v.get<float>());
    }
  } else {
    c.fail("rope_scaling.long_factor",
           "expected a number or " + std::to_string(dims / 2) + " numbers");
  }
  for (float f : factors) {
    if (!(f > 0) || !std::isfinite(f)) {
      c.fail("rope_scaling.long_factor", "factors must be positive numbers");
    }
  }
  const array freqs = multiply(array(factors.begin(), {dims / 2}, float32), periods(dims, base));
  nn::RoPE r(dims, false, freqs);
  const double factor = double(max_pos) / original;
  const double default_scale =
      factor <= 1.0 ? 1.0 : std::sqrt(1 + std::log(factor) / std::log(double(original)));
  r.input_scale = s.contains("long_mscale") && !s["long_mscale"].is_null()
                      ? positive(c, s, "long_mscale", 1.0f)
                      : float(default_scale);
  return r;
}

}  // namespace

nn::RoPE make_rope(const ModelConfig& config, int dims, float base, bool traditional) {
  if (dims <= 0 || dims % 2 != 0) {
    config.fail("head_dim",
                "the rotary dimensions (" + std::to_string(dims) + ") must be positive and even");
  }
  if (!(base > 0) || !std::isfinite(base)) {
    config.fail("rope_theta", "must be a positive number");
  }
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
  if (type == "dynamic") {
    nn::RoPE r(dims, traditional, base);
    const float factor = number(config, s, "factor", 1.0f);
    if (!(factor > 0)) {
      config.fail("rope_scaling.factor", "must be positive");
    }
    if (dims <= 2) {
      config.fail("head_dim", "dynamic NTK scaling needs more than 2 rotary dimensions");
    }
    r.dynamic = nn::RoPE::DynamicNTK{config.get_positive("max_position_embeddings", 2048), factor};
    return r;
  }
  if (type == "yarn" || type == "deepseek_yarn") {
    return yarn_rope(config, s, dims, base, traditional);
  }
  if (type == "longrope" || type == "su") {
    return longrope(config, s, dims, base);
  }
  throw Unsupported("[lm::load] " + config.file() + ": rope_scaling type '" + type +
                    "' is not supported (default, linear, dynamic, llama3, yarn and longrope are)");
}

}  // namespace mlxcpp::lm
