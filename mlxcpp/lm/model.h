// The interface every language-model architecture implements, and the registry that maps
// config.json's model_type to an architecture (each lm/models/<arch>.cpp registers itself).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlxcpp/lm/cache.h"
#include "mlxcpp/nn/module.h"

namespace mlxcpp::lm {

class ModelConfig;
class QuantPlan;

using Cache = std::vector<std::unique_ptr<LayerCache>>;

class Model : public nn::Module {
 public:
  /** Logits [B, T, vocab] for token ids [B, T]. With a cache (one entry per layer, from
   *  make_cache) the tokens continue what the cache holds; without one they start at 0. */
  virtual array operator()(const array& tokens, Cache* cache) = 0;
  /** A fresh cache for one sequence. */
  virtual Cache make_cache() const = 0;
  /** The checkpoint's tensors renamed / filtered into this module's names (mlx-lm's
   *  sanitize: e.g. dropping rotary inv_freq buffers or a tied lm_head). */
  virtual std::unordered_map<std::string, array> sanitize(
      std::unordered_map<std::string, array> weights) const {
    return weights;
  }
};

using ModelFactory =
    std::function<std::unique_ptr<Model>(const ModelConfig& config, const QuantPlan& quant)>;

/** Registers an architecture under model_type names (at static initialisation). */
struct ArchitectureRegistration {
  ArchitectureRegistration(std::vector<std::string> model_types, ModelFactory factory);
};

/** The factory for a model_type; Unsupported (listing the known ones) when none. */
const ModelFactory& architecture(const std::string& model_type);

/** The registered model_type names, sorted. */
std::vector<std::string> architectures();

}  // namespace mlxcpp::lm
