#include "mlxcpp/nn/quantize.h"

#include <stdexcept>

#include "mlxcpp/core/ops.h"

namespace mlxcpp::nn {

void quantize(Module& model, std::optional<int> group_size, std::optional<int> bits,
              const std::string& mode, const QuantizePredicate& predicate) {
  const auto [default_group_size, default_bits] = quantization_defaults(mode);
  const QuantSpec spec{group_size.value_or(default_group_size), bits.value_or(default_bits), mode};
  model.replace_modules([&](const std::string& path, const Module& m) -> std::unique_ptr<Module> {
    QuantSpec layer_spec = spec;
    if (predicate) {
      const auto pick = predicate(path, m);
      if (const bool* yes = std::get_if<bool>(&pick)) {
        if (!*yes) {
          return nullptr;
        }
      } else {
        layer_spec = std::get<QuantSpec>(pick);
      }
    }
    std::unique_ptr<Module> q;
    try {
      check_quantization(layer_spec.mode, layer_spec.group_size, layer_spec.bits);
      q = m.to_quantized(layer_spec);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("[nn::quantize] Cannot quantize '" + path + "': " + e.what());
    }
    if (!q && predicate && m.is_leaf()) {
      throw std::invalid_argument("[nn::quantize] The layer '" + path + "' has no quantized form.");
    }
    return q;
  });
}

}  // namespace mlxcpp::nn
