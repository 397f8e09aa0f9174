#include "mlxcpp/nn/module.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "mlxcpp/core/errors.h"

namespace mlxcpp::nn {

namespace {

std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    out += (i ? ", " : "") + (s[i] < 0 ? std::string("*") : std::to_string(s[i]));
  }
  return out + "]";
}

bool shape_matches(const Shape& want, const Shape& got) {
  if (want.size() != got.size()) {
    return false;
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] >= 0 && want[i] != got[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Module::param(const std::string& name, array& slot, Shape shape, std::optional<Dtype> dtype) {
  params_.push_back({name, &slot, std::move(shape), dtype});
}

void Module::child(const std::string& name, Module& m) {
  add_child({name, &m, nullptr, nullptr});
}

void Module::add_child(Child c) {
  children_.push_back(std::move(c));
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Param*>>& out) {
  for (auto& p : params_) {
    out.emplace_back(prefix + p.name, &p);
  }
  for (auto& c : children_) {
    c.module->collect(prefix + c.name + ".", out);
  }
}

std::unique_ptr<Module> Module::to_quantized(const QuantSpec&) const {
  return nullptr;
}

void Module::plan_replacements(const std::string& prefix, const ModuleReplacer& make,
                               std::vector<Replacement>& out) {
  for (auto& c : children_) {
    const std::string path = prefix + c.name;
    if (c.install) {
      if (auto m = make(path, *c.module)) {
        if (!c.fits(*m)) {
          throw std::invalid_argument("[replace_modules] The module given for '" + path +
                                      "' does not implement the layer it replaces.");
        }
        out.push_back({&c, std::move(m)});
        continue;
      }
    }
    c.module->plan_replacements(path + ".", make, out);
  }
}

void Module::replace_modules(const ModuleReplacer& make) {
  std::vector<Replacement> planned;
  plan_replacements("", make, planned);
  for (auto& r : planned) {
    r.child->module = r.child->install(std::move(r.module));
  }
}

std::vector<std::pair<std::string, const array*>> Module::parameters() const {
  std::vector<std::pair<std::string, Param*>> all;
  const_cast<Module*>(this)->collect("", all);
  std::vector<std::pair<std::string, const array*>> out;
  for (auto& [name, p] : all) {
    out.emplace_back(name, p->slot);
  }
  return out;
}

std::vector<Module::ParameterSpec> Module::parameter_specs() const {
  std::vector<std::pair<std::string, Param*>> all;
  const_cast<Module*>(this)->collect("", all);
  std::vector<ParameterSpec> out;
  for (auto& [name, p] : all) {
    out.push_back({name, p->shape, p->dtype});
  }
  return out;
}

size_t Module::num_parameters() const {
  size_t n = 0;
  for (const auto& [name, a] : parameters()) {
    n += a->size();
  }
  return n;
}

size_t Module::num_logical_parameters() const {
  size_t n = 0;
  const int bits = quantized_bits();
  for (const auto& p : params_) {
    if (bits > 0 && p.name == "weight") {
      n += p.slot->size() * 32 / size_t(bits);
    } else if (bits == 0 || (p.name != "scales" && p.name != "biases")) {
      n += p.slot->size();
    }
  }
  for (const auto& c : children_) {
    n += c.module->num_logical_parameters();
  }
  return n;
}

void Module::load_weights(const std::unordered_map<std::string, array>& weights,
                          const std::string& source) {
  std::vector<std::pair<std::string, Param*>> all;
  collect("", all);
  std::vector<std::string> problems;
  std::set<std::string> expected;
  for (auto& [name, p] : all) {
    expected.insert(name);
    auto it = weights.find(name);
    if (it == weights.end()) {
      problems.push_back("missing " + name + " " + shape_text(p->shape));
      continue;
    }
    const array& w = it->second;
    if (!shape_matches(p->shape, w.shape())) {
      problems.push_back(name + " has shape " + shape_text(w.shape()) + ", expected " +
                         shape_text(p->shape));
    } else if (p->dtype && w.dtype() != *p->dtype) {
      problems.push_back(name + " has dtype " + std::string(dtype_name(w.dtype())) + ", expected " +
                         std::string(dtype_name(*p->dtype)));
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& [name, w] : weights) {
    if (!expected.count(name)) {
      unexpected.push_back("unexpected " + name);
    }
  }
  std::sort(unexpected.begin(), unexpected.end());
  problems.insert(problems.end(), unexpected.begin(), unexpected.end());
  if (!problems.empty()) {
    std::string what = "[load_weights] " + std::to_string(problems.size()) + " weight problem(s):";
    for (const auto& p : problems) {
      what += "\n  " + p;
    }
    throw FormatError(source, 0, what);
  }
  for (auto& [name, p] : all) {
    *p->slot = weights.at(name);
  }
}

}  // namespace mlxcpp::nn
