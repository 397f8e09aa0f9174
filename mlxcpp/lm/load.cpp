#include "mlxcpp/lm/load.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
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
  auto id = [&](const nlohmann::json& x) {
    const auto i = integer_in(x, 0, INT32_MAX);
    if (!i) {
      where.fail("eos_token_id", "expected token ids (integers in [0, 2^31)), got " + v.dump());
    }
    return int(*i);
  };
  std::vector<int> out;
  if (v.is_array()) {
    for (const auto& x : v) {
      out.push_back(id(x));
    }
  } else if (!v.is_null()) {
    out.push_back(id(v));
  }
  return out;
}

// The highest N of a "layers.N." in the tensor names, or -1.
int last_layer_index(const std::vector<std::string>& names) {
  int last = -1;
  for (const auto& name : names) {
    for (size_t at = name.find("layers."); at != std::string::npos;
         at = name.find("layers.", at + 1)) {
      if (at > 0 && name[at - 1] != '.') {
        continue;
      }
      size_t i = at + 7;
      int64_t n = 0;
      // Digits past INT32_MAX saturate: such an index only has to compare as large.
      while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) {
        n = std::min<int64_t>(INT32_MAX, n * 10 + (name[i++] - '0'));
      }
      if (i > at + 7 && i < name.size() && name[i] == '.') {
        last = int(std::max<int64_t>(last, n));
      }
    }
  }
  return last;
}

// A config that claims more layers than the checkpoint holds fails here, before the model
// builds them (a huge count would exhaust memory first).
void check_layer_count(const ModelConfig& config, const std::vector<std::string>& names) {
  const auto& v = config.raw("num_hidden_layers");
  if (!v.is_number_integer()) {
    return;  // the architecture reports it
  }
  const int last = last_layer_index(names);
  if (!integer_in(v, INT64_MIN, int64_t(last) + 1)) {
    config.fail("num_hidden_layers", v.dump() + " layers, but the checkpoint's tensors " +
                                         (last < 0 ? std::string("have no layers")
                                                   : "end at layer " + std::to_string(last)));
  }
}

// Folders this loader cannot run, refused before any weight is read (each would otherwise
// fail as hundreds of unexpected tensors, or run the wrong code).
void check_loadable(const ModelConfig& config) {
  if (config.has("model_file")) {
    // mlx-lm refuses it too unless told to trust the folder's own code.
    throw Unsupported("[lm::load] " + config.file() + " names model_file '" +
                      config.raw("model_file").dump() + "': custom model code is not supported");
  }
  if (!config.has("quantization") && config.has("quantization_config")) {
    // Quantized by another tool (AWQ, GPTQ, compressed-tensors, ...): mlx-lm repacks some of
    // these formats; here only MLX's own quantization loads.
    const auto& qc = config.raw("quantization_config");
    const bool named =
        qc.is_object() && qc.contains("quant_method") && qc["quant_method"].is_string();
    throw Unsupported("[lm::load] " + config.file() + ": weights quantized with quant_method '" +
                      (named ? qc["quant_method"].get<std::string>() : std::string("?")) +
                      "' (quantization_config) are not supported; convert the model with "
                      "mlx_lm.convert");
  }
}

// The architecture's model with the layers the checkpoint's tensor names quantize.
std::unique_ptr<Model> build_model(const ModelFactory& factory, const ModelConfig& config,
                                   const std::vector<std::string>& names) {
  try {
    return factory(config, QuantPlan(config, names));
  } catch (const std::invalid_argument& e) {
    // A layer that rejects its settings (e.g. a group size its width does not split into).
    const std::string what = e.what();
    if (what.starts_with("[quantize]")) {
      config.fail("quantization", what);
    }
    throw FormatError(config.file(), 0, "[lm::load] a layer rejects the config: " + what);
  }
}

}  // namespace

LoadedModel load(const std::string& path_or_id) {
  LoadedModel out;
  out.folder = hub::resolve_model(path_or_id);
  const fs::path folder(out.folder);
  const ModelConfig config = ModelConfig::from_file((folder / "config.json").string());
  out.model_type = config.get_string("model_type");
  const ModelFactory& factory = architecture(out.model_type);
  check_loadable(config);
  std::unordered_map<std::string, array> weights = load_weights(folder);
  std::vector<std::string> names;
  for (const auto& [name, a] : weights) {
    names.push_back(name);
  }
  check_layer_count(config, names);
  // As mlx-lm: the checkpoint is sanitized (renamed, e.g. per-expert weights stacked) before
  // the plan decides which layers are quantized by looking for "<layer>.scales".
  try {
    weights = build_model(factory, config, names)->sanitize(std::move(weights));
  } catch (const std::invalid_argument& e) {
    // E.g. per-expert tensors of different shapes, which cannot be stacked.
    throw FormatError(out.folder, 0,
                      std::string("[lm::load] the checkpoint's tensors: ") + e.what());
  }
  names.clear();
  for (const auto& [name, a] : weights) {
    names.push_back(name);
  }
  out.model = build_model(factory, config, names);
  out.model->load_weights(std::move(weights), out.folder);
  out.eos_token_ids = eos_ids(config.raw("eos_token_id"), config);
  const fs::path gen = folder / "generation_config.json";
  if (fs::exists(gen)) {
    const ModelConfig g = ModelConfig::from_file(gen.string());
    // As mlx-lm: only ids it names override config.json's (null or [] would leave none).
    const auto ids = eos_ids(g.raw("eos_token_id"), g);
    if (!ids.empty()) {
      out.eos_token_ids = ids;
    }
  }
  if (fs::exists(folder / "tokenizer.json") || fs::exists(folder / "tokenizer.model")) {
    out.tokenizer = Tokenizer::from_folder(out.folder);
  }
  return out;
}

}  // namespace mlxcpp::lm
