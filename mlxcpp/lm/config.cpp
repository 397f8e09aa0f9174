#include "mlxcpp/lm/config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/ops.h"

namespace mlxcpp::lm {

ModelConfig ModelConfig::from_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    throw IoError("[lm::load] cannot read " + file);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(file, 0, std::string("[lm::load] not valid JSON: ") + e.what());
  }
  if (!j.is_object()) {
    throw FormatError(file, 0, "[lm::load] the config must be a JSON object");
  }
  return ModelConfig(std::move(j), file);
}

std::optional<int64_t> integer_in(const nlohmann::json& v, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) {
    return std::nullopt;
  }
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (hi < 0 || u > uint64_t(hi) || (lo > 0 && u < uint64_t(lo))) {
      return std::nullopt;
    }
    return int64_t(u);
  }
  const int64_t x = v.get<int64_t>();
  return x < lo || x > hi ? std::nullopt : std::optional<int64_t>(x);
}

ModelConfig::ModelConfig(nlohmann::json j, std::string file)
    : json_(std::move(j)), file_(std::move(file)) {
  const auto& rp = raw("rope_parameters");
  if (!rp.is_object()) {
    return;
  }
  if (!has("rope_theta") && rp.contains("rope_theta")) {
    json_["rope_theta"] = rp["rope_theta"];
  }
  const bool scaled = rp.contains("rope_type") && rp["rope_type"] != "default";
  if (!has("rope_scaling") && scaled) {
    json_["rope_scaling"] = rp;
  }
}

void ModelConfig::fail(const std::string& key, const std::string& what) const {
  throw FormatError(file_, 0, "[lm::load] config key '" + key + "': " + what);
}

bool ModelConfig::has(const std::string& key) const {
  return json_.contains(key) && !json_[key].is_null();
}

const nlohmann::json& ModelConfig::raw(const std::string& key) const {
  static const nlohmann::json null_value;
  return json_.contains(key) ? json_[key] : null_value;
}

int ModelConfig::get_int(const std::string& key) const {
  if (!has(key)) {
    fail(key, "missing");
  }
  const auto& v = json_[key];
  if (!v.is_number_integer()) {
    fail(key, "expected an integer, got " + v.dump());
  }
  const auto x = integer_in(v, INT32_MIN, INT32_MAX);
  if (!x) {
    fail(key, "out of range: " + v.dump());
  }
  return static_cast<int>(*x);
}

int ModelConfig::get_int(const std::string& key, int fallback) const {
  return has(key) ? get_int(key) : fallback;
}

int ModelConfig::get_positive(const std::string& key) const {
  const int v = get_int(key);
  if (v <= 0) {
    fail(key, "expected a positive integer, got " + std::to_string(v));
  }
  return v;
}

int ModelConfig::get_positive(const std::string& key, int fallback) const {
  return has(key) ? get_positive(key) : fallback;
}

float ModelConfig::get_float(const std::string& key, float fallback) const {
  if (!has(key)) {
    return fallback;
  }
  const auto& v = json_[key];
  if (!v.is_number()) {
    fail(key, "expected a number, got " + v.dump());
  }
  const float x = v.get<float>();
  if (!std::isfinite(x)) {
    fail(key, "out of range: " + v.dump());
  }
  return x;
}

float ModelConfig::get_positive_float(const std::string& key, float fallback) const {
  const float x = get_float(key, fallback);
  if (!(x > 0)) {
    fail(key, "expected a positive number, got " + raw(key).dump());
  }
  return x;
}

bool ModelConfig::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) {
    return fallback;
  }
  const auto& v = json_[key];
  if (!v.is_boolean()) {
    fail(key, "expected true or false, got " + v.dump());
  }
  return v.get<bool>();
}

std::string ModelConfig::get_string(const std::string& key) const {
  if (!has(key) || !json_[key].is_string()) {
    fail(key, has(key) ? "expected a string, got " + json_[key].dump() : "missing");
  }
  return json_[key].get<std::string>();
}

namespace {

nn::QuantSpec parse_spec(const nlohmann::json& q, const nn::QuantSpec& base, const ModelConfig& c,
                         const std::string& where) {
  nn::QuantSpec s = base;
  if (q.contains("mode")) {
    if (!q["mode"].is_string()) {
      c.fail(where, "mode must be a string");
    }
    s.mode = q["mode"].get<std::string>();
    if (s.mode != base.mode) {
      // As MLX's quantize: what the entry leaves out takes the mode's defaults.
      try {
        std::tie(s.group_size, s.bits) = quantization_defaults(s.mode);
      } catch (const std::exception& e) {
        c.fail(where, e.what());
      }
    }
  }
  auto get = [&](const char* k, int& out) {
    if (q.contains(k)) {
      const auto x = integer_in(q[k], 0, 1024);
      if (!x) {
        c.fail(where, std::string(k) + " must be a small non-negative integer, got " + q[k].dump());
      }
      out = int(*x);
    }
  };
  get("group_size", s.group_size);
  get("bits", s.bits);
  try {
    check_quantization(s.mode, s.group_size, s.bits);
  } catch (const std::exception& e) {
    c.fail(where, e.what());
  }
  return s;
}

}  // namespace

std::vector<std::string> layer_types(const ModelConfig& c, int layers,
                                     const std::vector<std::string>& allowed) {
  const auto& types = c.raw("layer_types");
  if (!types.is_array() || int64_t(types.size()) != layers) {
    c.fail("layer_types", "expected a list of " + std::to_string(layers) + " layer types");
  }
  std::string names;
  for (const auto& a : allowed) {
    names += (names.empty() ? "" : ", ") + a;
  }
  std::vector<std::string> out;
  for (const auto& t : types) {
    if (!t.is_string()) {
      c.fail("layer_types", "expected strings, got " + t.dump());
    }
    out.push_back(t.get<std::string>());
    if (std::find(allowed.begin(), allowed.end(), out.back()) == allowed.end()) {
      c.fail("layer_types", "'" + out.back() + "' is not a layer type (" + names + ")");
    }
  }
  return out;
}

QuantPlan::QuantPlan(const ModelConfig& config, std::vector<std::string> names)
    : config_(&config), names_(std::move(names)) {
  std::sort(names_.begin(), names_.end());
  const auto& q = config.raw("quantization");
  if (q.is_object()) {
    global_ = parse_spec(q, nn::QuantSpec{}, config, "quantization");
  } else if (!q.is_null()) {
    config.fail("quantization", "expected an object");
  }
}

std::optional<nn::QuantSpec> QuantPlan::at(const std::string& local_path) const {
  if (!global_) {
    return std::nullopt;
  }
  const std::string path = prefix_ + local_path;
  const auto& q = config_->raw("quantization");
  if (q.contains(path)) {
    const auto& entry = q[path];
    if (entry.is_boolean()) {
      return entry.get<bool>() ? global_ : std::nullopt;
    }
    if (!entry.is_object()) {
      config_->fail("quantization." + path, "expected an object or a boolean");
    }
    // As mlx-lm passes the entry to to_quantized: what it leaves out takes to_quantized's
    // defaults (affine, and the mode's group size and bits), not the global settings.
    return parse_spec(entry, nn::QuantSpec{}, *config_, "quantization." + path);
  }
  if (everything_ || std::binary_search(names_.begin(), names_.end(), path + ".scales")) {
    return global_;
  }
  return std::nullopt;
}

}  // namespace mlxcpp::lm

namespace mlxcpp::lm {

QuantPlan QuantPlan::everything(const ModelConfig& config) {
  QuantPlan p(config, {});
  p.everything_ = true;
  return p;
}

bool QuantPlan::has_weight(const std::string& name) const {
  return std::binary_search(names_.begin(), names_.end(), prefix_ + name);
}

QuantPlan QuantPlan::under(const std::string& prefix) const {
  QuantPlan p = *this;
  p.prefix_ = prefix_ + prefix;
  return p;
}

}  // namespace mlxcpp::lm
