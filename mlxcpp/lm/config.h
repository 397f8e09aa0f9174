// A model's config.json with typed, checked access: a missing required key or a value of
// the wrong type or range is a FormatError naming the file and the key. Internal to the
// library (it exposes nlohmann::json).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "mlxcpp/nn/linear.h"

namespace mlxcpp::lm {

class ModelConfig {
 public:
  /** Reads and parses `file`; IoError when unreadable, FormatError when not a JSON object. */
  static ModelConfig from_file(const std::string& file);
  /** Transformers v5's rope_parameters stand in for an absent rope_theta / rope_scaling. */
  ModelConfig(nlohmann::json j, std::string file);

  bool has(const std::string& key) const;
  int get_int(const std::string& key) const;
  int get_int(const std::string& key, int fallback) const;
  /** A positive integer (sizes, counts). */
  int get_positive(const std::string& key) const;
  int get_positive(const std::string& key, int fallback) const;
  /** A finite number (FormatError for one a float cannot hold, e.g. 1e39). */
  float get_float(const std::string& key, float fallback) const;
  /** A finite number > 0 (bases, epsilons). */
  float get_positive_float(const std::string& key, float fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key) const;
  /** The raw value (null when absent), for nested objects such as rope_scaling. */
  const nlohmann::json& raw(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

  const nlohmann::json& json() const { return json_; }
  const std::string& file() const { return file_; }

 private:
  nlohmann::json json_;
  std::string file_;
};

/** v when it is a JSON integer within [lo, hi]; nullopt otherwise (also for an unsigned
 *  value past INT64_MAX, which get<int64_t>() would wrap). */
std::optional<int64_t> integer_in(const nlohmann::json& v, int64_t lo, int64_t hi);

/** config["layer_types"]: a list of `layers` strings, each one of `allowed` (FormatError
 *  naming the key otherwise). */
std::vector<std::string> layer_types(const ModelConfig& c, int layers,
                                     const std::vector<std::string>& allowed);

/** Which layers are quantized and how, as mlx-lm decides it: a per-layer entry of
 *  config["quantization"] (an object, or false), else quantized when the checkpoint has
 *  "<path>.scales", with the global group size, bits and mode. */
class QuantPlan {
 public:
  QuantPlan(const ModelConfig& config, std::vector<std::string> weight_names);
  /** Every quantizable layer quantized with config["quantization"] (for models built
   *  without a checkpoint, e.g. random weights). */
  static QuantPlan everything(const ModelConfig& config);
  /** The spec for the layer at dotted path `path`, or nullopt for a float layer. */
  std::optional<nn::QuantSpec> at(const std::string& path) const;
  /** Whether the checkpoint has a tensor of this name (e.g. an untied lm_head). */
  bool has_weight(const std::string& name) const;
  /** This plan for a module that sits under `prefix` ("language_model.") in the checkpoint:
   *  paths and names are looked up with the prefix in front. */
  QuantPlan under(const std::string& prefix) const;

 private:
  std::string prefix_;
  const ModelConfig* config_;
  std::optional<nn::QuantSpec> global_;
  std::vector<std::string> names_;  // sorted
  bool everything_ = false;
};

}  // namespace mlxcpp::lm
