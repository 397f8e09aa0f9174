// Module: a named tree of parameters, as mlx.nn.Module. Subclasses own their arrays and
// child modules and declare them (param / child) with the shape a checkpoint must give,
// so loading can check every name and shape and report all problems at once.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mlxcpp/core/array.h"

namespace mlxcpp::nn {

class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  /** Every parameter by its dotted path ("layers.0.self_attn.q_proj.weight"). */
  std::vector<std::pair<std::string, const array*>> parameters() const;

  /** Sets every parameter from `weights` (dotted names). Missing, unexpected and mis-shaped
   *  or mis-typed tensors are all listed in one FormatError naming `source`. */
  void load_weights(const std::unordered_map<std::string, array>& weights,
                    const std::string& source);

  /** A declared parameter: its dotted path, the shape a checkpoint must give (negative
   *  dimensions: any) and, when fixed, its dtype. */
  struct ParameterSpec {
    std::string name;
    Shape shape;
    std::optional<Dtype> dtype;
  };
  /** Every declared parameter, in declaration order. */
  std::vector<ParameterSpec> parameter_specs() const;

  /** Total number of elements over all parameters. */
  size_t num_parameters() const;

 protected:
  /** Declares `slot` as parameter `name` with the shape a checkpoint must give (a negative
   *  dimension accepts any size) and, when given, its dtype. */
  void param(const std::string& name, array& slot, Shape shape, std::optional<Dtype> dtype = {});
  /** Declares a child module under `name`. */
  void child(const std::string& name, Module& m);

 private:
  struct Param {
    std::string name;
    array* slot;
    Shape shape;
    std::optional<Dtype> dtype;
  };
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Param*>>& out);
  std::vector<Param> params_;
  std::vector<std::pair<std::string, Module*>> children_;
};

/** A placeholder for a parameter until weights are loaded. */
inline array unloaded() {
  return array(0.0f);
}

}  // namespace mlxcpp::nn
