// Loading a language model from an MLX-format folder or a hub id (as mlx_lm.load).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlxcpp/lm/model.h"
#include "mlxcpp/tokenizer/tokenizer.h"

namespace mlxcpp::lm {

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::string folder;      // the local folder the files came from
  std::string model_type;  // config.json's
  /** End-of-sequence ids: generation_config.json's eos_token_id (int or list) when
   *  present, else config.json's. */
  std::vector<int> eos_token_ids;
  /** The folder's tokenizer (tokenizer.json or tokenizer.model), when it has one. */
  std::optional<Tokenizer> tokenizer;
};

/** Loads config.json, the weights (model.safetensors.index.json shards, else every
 *  model*.safetensors), generation_config.json and the tokenizer from `path_or_id` (a
 *  folder, or a hub id resolved with hub::resolve_model). Errors: IoError (missing files),
 * FormatError (bad config values; every missing, unexpected or mis-shaped weight, listed together),
 *  Unsupported (model_type). */
LoadedModel load(const std::string& path_or_id);

}  // namespace mlxcpp::lm
