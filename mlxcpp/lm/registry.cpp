#include <algorithm>
#include <map>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/lm/model.h"

namespace mlxcpp::lm {

namespace {

// Filled once by the registrations during static initialisation, read-only afterwards.
std::map<std::string, ModelFactory>& table() {
  static std::map<std::string, ModelFactory> t;
  return t;
}

}  // namespace

ArchitectureRegistration::ArchitectureRegistration(std::vector<std::string> model_types,
                                                   ModelFactory factory) {
  for (const auto& name : model_types) {
    table().emplace(name, factory);
  }
}

const ModelFactory& architecture(const std::string& model_type) {
  auto it = table().find(model_type);
  if (it == table().end()) {
    std::string known;
    for (const auto& name : architectures()) {
      known += (known.empty() ? "" : ", ") + name;
    }
    throw Unsupported("[lm::load] model_type '" + model_type +
                      "' is not supported; known: " + known);
  }
  return it->second;
}

std::vector<std::string> architectures() {
  std::vector<std::string> out;
  for (const auto& [name, f] : table()) {
    out.push_back(name);
  }
  return out;
}

}  // namespace mlxcpp::lm
