// Module: a named tree of parameters, as mlx.nn.Module. Subclasses own their arrays and
// child modules and declare them (param / child) with the shape a checkpoint must give,
// so loading can check every name and shape and report all problems at once.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mlxcpp/core/array.h"

namespace mlxcpp::nn {

struct QuantSpec;  // linear.h

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

  /** Total number of elements over all parameters (packed quantized words count one each). */
  size_t num_parameters() const;

  /** The values the parameters stand for, as mlx-lm's get_total_parameters counts them: a
   *  quantized layer's packed weight as 32 / bits values a word, its scales and biases as
   *  none. */
  size_t num_logical_parameters() const;

  /** Whether the module has no child modules (a layer, in mlx.nn's leaf_modules sense). */
  bool is_leaf() const { return children_.empty(); }

  /** This layer with its weights quantized (mlx.nn's to_quantized; lazily, as MLX), or
   *  nullptr for a layer without a quantized form. Throws std::invalid_argument for a spec
   *  the weights do not allow. */
  virtual std::unique_ptr<Module> to_quantized(const QuantSpec& spec) const;

  /** What replace_modules asks for each child in a replaceable slot: a module to take its
   *  place, or nullptr to keep it (and visit its own children). */
  using ModuleReplacer =
      std::function<std::unique_ptr<Module>(const std::string& path, const Module& m)>;
  /** Offers every child held in a replaceable slot (registered from a unique_ptr), with its
   *  dotted path, to `make`. All or nothing: when `make` throws, or returns a module that does
   *  not implement the slot's interface (std::invalid_argument), nothing is replaced. */
  void replace_modules(const ModuleReplacer& make);

 protected:
  /** For a quantized layer, the bits of each value packed in its "weight"; 0 otherwise. */
  virtual int quantized_bits() const { return 0; }
  /** Declares `slot` as parameter `name` with the shape a checkpoint must give (a negative
   *  dimension accepts any size) and, when given, its dtype. */
  void param(const std::string& name, array& slot, Shape shape, std::optional<Dtype> dtype = {});
  /** Declares a child module under `name`. */
  void child(const std::string& name, Module& m);
  /** Declares the module `slot` owns as a child under `name`, replaceable by any module
   *  implementing Layer (replace_modules). The slot must stay where it is (a member). */
  template <class Layer>
  void child(const std::string& name, std::unique_ptr<Layer>& slot) {
    add_child({name, slot.get(),
               [](const Module& m) { return dynamic_cast<const Layer*>(&m) != nullptr; },
               [&slot](std::unique_ptr<Module> m) -> Module* {
                 slot.reset(dynamic_cast<Layer*>(m.release()));
                 return slot.get();
               }});
  }

 private:
  struct Param {
    std::string name;
    array* slot;
    Shape shape;
    std::optional<Dtype> dtype;
  };
  struct Child {
    std::string name;
    Module* module;
    // Replaceable children only: whether a module implements the slot's interface, and
    // moving one into the slot (returns where it now lives).
    std::function<bool(const Module&)> fits;
    std::function<Module*(std::unique_ptr<Module>)> install;
  };
  struct Replacement {
    Child* child;
    std::unique_ptr<Module> module;
  };
  void add_child(Child c);
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Param*>>& out);
  void plan_replacements(const std::string& prefix, const ModuleReplacer& make,
                         std::vector<Replacement>& out);
  std::vector<Param> params_;
  std::vector<Child> children_;
};

/** A placeholder for a parameter until weights are loaded. */
inline array unloaded() {
  return array(0.0f);
}

}  // namespace mlxcpp::nn
