#include "mlxcpp/lm/prompt_cache.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/io/io.h"

namespace mlxcpp::lm {

bool can_trim_prompt_cache(const Cache& cache) {
  return std::all_of(cache.begin(), cache.end(), [](const auto& c) { return c->is_trimmable(); });
}

int trim_prompt_cache(Cache& cache, int n) {
  if (n < 0) {
    throw std::invalid_argument("[trim_prompt_cache] cannot trim a negative count");
  }
  if (cache.empty() || !can_trim_prompt_cache(cache)) {
    return 0;
  }
  int dropped = 0;
  for (size_t i = 0; i < cache.size(); ++i) {
    const int d = cache[i]->trim(n);
    dropped = i == 0 ? d : dropped;
  }
  return dropped;
}

void save_prompt_cache(const std::string& file, const Cache& cache,
                       const std::unordered_map<std::string, std::string>& metadata) {
  std::unordered_map<std::string, array> arrays;
  std::unordered_map<std::string, std::string> meta;
  for (size_t i = 0; i < cache.size(); ++i) {
    const std::string layer = std::to_string(i);
    for (const auto& [path, a] : cache[i]->state()) {
      arrays.emplace(layer + "." + path, a);
    }
    const auto ms = cache[i]->meta_state();
    if (ms.empty()) {
      meta.emplace("0." + layer, "");  // mlx-lm's meta_state "" is one leaf
    }
    for (size_t j = 0; j < ms.size(); ++j) {
      meta.emplace("0." + layer + "." + std::to_string(j), ms[j]);
    }
    meta.emplace("2." + layer, cache[i]->class_name());
  }
  for (const auto& [k, v] : metadata) {
    meta.emplace("1." + k, v);
  }
  save_safetensors(file, std::move(arrays), std::move(meta));
}

namespace {

// A non-negative decimal index (at most 9 digits) or -1.
int parse_index(const std::string& s) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  return std::stoi(s);
}

// "<index>.<rest>" -> {index, rest}; index -1 when it is not that shape.
std::pair<int, std::string> split_index(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos) {
    return {parse_index(name), ""};
  }
  return {parse_index(name.substr(0, dot)), name.substr(dot + 1)};
}

struct FileLayout {
  std::vector<std::string> classes;
  std::vector<std::vector<std::string>> meta;
  std::vector<CacheState> states;
  std::unordered_map<std::string, std::string> user;
};

FileLayout read_layout(const std::string& file) {
  auto [arrays, meta] = load_safetensors(file);
  auto fail = [&](const std::string& what) -> FormatError {
    return FormatError(file, 0, "[load_prompt_cache] " + what);
  };
  FileLayout out;
  std::map<int, std::string> classes;
  std::map<int, std::map<int, std::string>> metas;
  for (const auto& [key, value] : meta) {
    const auto [group, rest] = split_index(key);
    if (group == 2) {
      const int layer = parse_index(rest);
      if (layer < 0) {
        throw fail("bad class entry '" + key + "'");
      }
      classes[layer] = value;
    } else if (group == 1 && !rest.empty()) {
      out.user[rest] = value;
    } else if (group == 0) {
      const auto [layer, j] = split_index(rest);
      const int index = j.empty() ? -1 : parse_index(j);
      if (layer < 0 || (!j.empty() && index < 0)) {
        throw fail("bad meta_state entry '" + key + "'");
      }
      auto& m = metas[layer];
      if (index >= 0) {
        m[index] = value;
      } else if (!value.empty()) {
        throw fail("meta_state of layer " + rest + " must be a list or empty");
      }
    }  // other metadata (e.g. "format") is not the cache's
  }
  if (classes.empty()) {
    throw fail("no cache class names (metadata \"2.<layer>\"): not a prompt cache file");
  }
  const int n = int(classes.size());
  if (classes.rbegin()->first != n - 1) {
    throw fail("cache class names are not numbered 0.." + std::to_string(n - 1));
  }
  for (const auto& [layer, c] : classes) {
    out.classes.push_back(c);
  }
  out.meta.resize(size_t(n));
  for (const auto& [layer, m] : metas) {
    if (layer >= n || (!m.empty() && m.rbegin()->first != int(m.size()) - 1)) {
      throw fail("meta_state of layer " + std::to_string(layer) + " does not fit");
    }
    for (const auto& [j, v] : m) {
      out.meta[size_t(layer)].push_back(v);
    }
  }
  out.states.resize(size_t(n));
  for (const auto& [name, a] : arrays) {
    const auto [layer, rest] = split_index(name);
    if (layer < 0 || layer >= n || rest.empty()) {
      throw fail("tensor '" + name + "' belongs to no layer of " + std::to_string(n));
    }
    out.states[size_t(layer)].emplace(rest, a);
  }
  return out;
}

// Fills `layer` from its state in the file. A standard layer may come back quantized (mlx-lm's
// quantized caches start as standard ones), and a sliding-window layer takes a standard
// state while it fits the window: mlx-lm's Gemma 2 ignores the window and caches every layer
// in full, which within the window are the same keys and values.
void load_layer(std::unique_ptr<LayerCache>& layer, const std::string& got, const CacheState& state,
                const std::vector<std::string>& meta, const std::string& file, size_t i) {
  const std::string want = layer->class_name();
  const std::string at = "[load_prompt_cache] layer " + std::to_string(i);
  if (got == "QuantizedKVCache" && want == "KVCache") {
    if (meta.size() != 3) {
      throw FormatError(file, 0, at + ": QuantizedKVCache meta_state must have 3 entries");
    }
    const int group_size = parse_index(meta[1]), bits = parse_index(meta[2]);
    try {
      layer = std::make_unique<QuantizedKVCache>(group_size, bits);
    } catch (const std::invalid_argument& e) {
      throw FormatError(file, 0, std::string("[load_prompt_cache] ") + e.what());
    }
  } else if (got == "KVCache" && want == "RotatingKVCache") {
    if (!meta.empty()) {
      throw FormatError(file, 0, at + ": KVCache has no meta_state");
    }
    const auto keys = state.find("0");
    const int n = keys != state.end() && keys->second.ndim() == 4 ? keys->second.shape(2) : 0;
    const int window = dynamic_cast<const RotatingKVCache&>(*layer).max_size();
    if (n > window) {
      throw FormatError(file, 0,
                        at + " holds " + std::to_string(n) +
                            " tokens cached without a sliding window; this model's layer " +
                            "attends over the last " + std::to_string(window) +
                            ", so it cannot continue them");
    }
    const std::string held = std::to_string(n);
    return layer->set_state(state, {"0", std::to_string(window), held, held}, file);
  } else if (got != want) {
    throw FormatError(
        file, 0,
        at + " holds a " + got + "; this model's layer " + std::to_string(i) + " uses a " + want);
  }
  layer->set_state(state, meta, file);
}

}  // namespace

Cache load_prompt_cache(const std::string& file, const Model& model,
                        std::unordered_map<std::string, std::string>* metadata) {
  FileLayout f = read_layout(file);
  Cache cache = model.make_cache();
  if (f.classes.size() != cache.size()) {
    throw FormatError(file, 0,
                      "[load_prompt_cache] the file has " + std::to_string(f.classes.size()) +
                          " layers; this model has " + std::to_string(cache.size()));
  }
  int tokens = -1;  // the token count of the layers read so far, -1 before the first
  for (size_t i = 0; i < cache.size(); ++i) {
    load_layer(cache[i], f.classes[i], f.states[i], f.meta[i], file, i);
    if (!dynamic_cast<ArraysCache*>(cache[i].get())) {
      // Every layer has seen every token: layers that disagree would each place the next
      // token at another position.
      if (tokens >= 0 && cache[i]->offset() != tokens) {
        throw FormatError(file, 0,
                          "[load_prompt_cache] layer " + std::to_string(i) + " holds " +
                              std::to_string(cache[i]->offset()) +
                              " tokens; the layers before it hold " + std::to_string(tokens));
      }
      tokens = cache[i]->offset();
    }
  }
  // mlx-lm's ArraysCache keeps no token count; it has seen what the other layers have, and
  // holds its state exactly when they hold tokens.
  for (size_t i = 0; i < cache.size(); ++i) {
    if (auto* a = dynamic_cast<ArraysCache*>(cache[i].get())) {
      for (int j = 0; j < a->size() && tokens >= 0; ++j) {
        if (a->get(j).has_value() != (tokens > 0)) {
          throw FormatError(file, 0,
                            "[load_prompt_cache] layer " + std::to_string(i) + " state " +
                                std::to_string(j) + (tokens > 0 ? " is missing" : " is set") +
                                " while the other layers hold " + std::to_string(tokens) +
                                " tokens");
        }
      }
      a->set_offset(std::max(tokens, 0));
    }
  }
  if (metadata) {
    *metadata = std::move(f.user);
  }
  return cache;
}

}  // namespace mlxcpp::lm
