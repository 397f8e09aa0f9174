#include "mlxcpp/lm/load.h"

#include <algorithm>
#include <filesystem>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/hub/hub.h"
#include "mlxcpp/io/io.h"
#include "mlxcpp/lm/config.h"

namespace mlxcpp::lm {

namespace fs = std::filesystem;

namespace {

std::unordered_map<std::string, array> load_weights(const fs::path& folder) {
  const fs::path index = folder / "model.safetensors.index.json";
  if (fs::exists(index)) {
    return load_sharded_safetensors(index.string()).first;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("model", 0) == 0 && e.path().extension() == ".safetensors") {
      files.push_back(e.path());
    }
  }
  if (files.empty()) {
    throw IoError("[lm::load] " + folder.string() + " has no model*.safetensors");
  }
  std::sort(files.begin(), files.end());
  std::unordered_map<std::string, array> weights;
  for (const auto& f : files) {
    for (auto& [name, a] : load_safetensors(f.string()).first) {
      if (!weights.emplace(name, a).second) {
        throw FormatError(f.string(), 0, "[lm::load] tensor '" + name + "' is in two files");
      }
    }
  }
  return weights;
}

std::vector<int> eos_ids(const nlohmann::json& v, const ModelConfig& where) {
  std::vector<int> out;
  if (v.is_number_integer()) {
    out.push_back(v.get<int>());
  } else if (v.is_array()) {
    for (const auto& x : v) {
      if (!x.is_number_integer()) {
        where.fail("eos_token_id", "expected integers, got " + v.dump());
      }
      out.push_back(x.get<int>());
    }
  } else if (!v.is_null()) {
    where.fail("eos_token_id", "expected an integer or a list, got " + v.dump());
  }
  return out;
}

}  // namespace

LoadedModel load(const std::string& path_or_id) {
  LoadedModel out;
  out.folder = hub::resolve_model(path_or_id);
  const fs::path folder(out.folder);
  const ModelConfig config = ModelConfig::from_file((folder / "config.json").string());
  out.model_type = config.get_string("model_type");
  const ModelFactory& factory = architecture(out.model_type);
  std::unordered_map<std::string, array> weights = load_weights(folder);
  std::vector<std::string> names;
  for (const auto& [name, a] : weights) {
    names.push_back(name);
  }
  const QuantPlan plan(config, names);
  out.model = factory(config, plan);
  out.model->load_weights(out.model->sanitize(std::move(weights)), out.folder);
  out.eos_token_ids = eos_ids(config.raw("eos_token_id"), config);
  const fs::path gen = folder / "generation_config.json";
  if (fs::exists(gen)) {
    const ModelConfig g = ModelConfig::from_file(gen.string());
    if (g.has("eos_token_id")) {
      out.eos_token_ids = eos_ids(g.raw("eos_token_id"), g);
    }
  }
  if (fs::exists(folder / "tokenizer.json") || fs::exists(folder / "tokenizer.model")) {
    out.tokenizer = Tokenizer::from_folder(out.folder);
  }
  return out;
}

}  // namespace mlxcpp::lm
