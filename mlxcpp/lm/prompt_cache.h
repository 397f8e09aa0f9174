// Prompt caches on disk in mlx-lm's format (cache.py save_prompt_cache / load_prompt_cache):
// one .safetensors file whose tensors are each layer's state ("<layer>.<path in state>") and
// whose metadata holds, flattened as mlx.utils.tree_flatten does, [meta states, user
// metadata, class names]: "0.<layer>[.<j>]", "1.<key>", "2.<layer>". Files written here
// load in mlx-lm and the other way round (single-sequence caches), with one exception:
// mlx-lm's Gemma 2 ignores the sliding window and caches every layer in full, so its files
// load here while they fit the window, and ours (RotatingKVCache layers) do not load there.
#pragma once

#include <string>
#include <unordered_map>

#include "mlxcpp/lm/model.h"

namespace mlxcpp::lm {

/** Trims every layer by n tokens when all can be trimmed (mlx-lm's trim_prompt_cache);
 *  returns the count dropped (0 when some layer cannot be trimmed, e.g. a conv state or
 *  a rotating cache that has wrapped). */
int trim_prompt_cache(Cache& cache, int n);

/** Whether every layer's cache can be trimmed now. */
bool can_trim_prompt_cache(const Cache& cache);

/** Writes `cache` and string `metadata` to `file` (".safetensors" appended when missing),
 *  atomically. */
void save_prompt_cache(const std::string& file, const Cache& cache,
                       const std::unordered_map<std::string, std::string>& metadata = {});

/** A prompt cache for `model` read from `file`: the model's make_cache() filled with the
 *  file's states (a standard layer may come back quantized, as mlx-lm's quantized caches
 *  start as standard ones; a sliding-window layer takes a standard state that fits its
 *  window). FormatError naming the file when it does not fit the model
 *  (another layer count, another cache class at a layer, bad arrays or meta states).
 *  When `metadata` is given it receives the file's user metadata. */
Cache load_prompt_cache(const std::string& file, const Model& model,
                        std::unordered_map<std::string, std::string>* metadata = nullptr);

}  // namespace mlxcpp::lm
