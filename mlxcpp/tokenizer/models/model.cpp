#include "mlxcpp/tokenizer/models/model.h"

#include <algorithm>

namespace mlxcpp::tokenizer {

void Vocab::build(std::vector<std::pair<std::string, int32_t>> entries, std::string_view where) {
  int64_t max_id = -1;
  for (const auto& [tok, id] : entries) {
    if (id < 0) {
      throw ConfigError(std::string(where) + ": token \"" + tok + "\" has negative id " +
                        std::to_string(id));
    }
    max_id = std::max<int64_t>(max_id, id);
  }
  // Ids index a dense table: refuse a file whose ids would make it huge.
  const int64_t limit = 8 * static_cast<int64_t>(entries.size()) + (1 << 16);
  if (max_id >= limit) {
    throw ConfigError(std::string(where) + ": token id " + std::to_string(max_id) +
                      " is far beyond the " + std::to_string(entries.size()) +
                      " entries of the vocabulary");
  }
  to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  present_.assign(static_cast<size_t>(max_id + 1), false);
  to_id_.reserve(entries.size());
  for (auto& [tok, id] : entries) {
    to_token_[static_cast<size_t>(id)] = tok;
    present_[static_cast<size_t>(id)] = true;
    to_id_[std::move(tok)] = id;
  }
}

std::vector<std::pair<std::string, int32_t>> read_vocab_object(const json& j,
                                                               const std::string& where) {
  if (!j.is_object()) {
    throw ConfigError(where + ": expected an object of token: id, got " + jsonu::type_name(j));
  }
  std::vector<std::pair<std::string, int32_t>> out;
  out.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer()) {
      throw ConfigError(where + "[\"" + it.key() + "\"]: expected an integer id, got " +
                        jsonu::type_name(it.value()));
    }
    const auto id = it.value().get<int64_t>();
    if (id < 0 || id > INT32_MAX) {
      throw ConfigError(where + "[\"" + it.key() + "\"]: id " + std::to_string(id) +
                        " is out of range");
    }
    out.emplace_back(it.key(), static_cast<int32_t>(id));
  }
  return out;
}

std::unique_ptr<Model> make_model(const json& j, const std::string& where) {
  if (!j.is_object()) {
    throw ConfigError(where + ": expected an object, got " + jsonu::type_name(j));
  }
  std::string type;
  if (j.contains("type") && !j["type"].is_null()) {
    type = jsonu::get_string(j, "type", where);
  } else if (j.contains("merges")) {
    type = "BPE";  // files without "type" exist (bert-base-uncased): infer it
  } else if (j.contains("vocab") && j["vocab"].is_array()) {
    type = "Unigram";
  } else {
    type = "WordPiece";
  }
  if (type == "BPE") {
    return make_bpe(j, where);
  }
  if (type == "WordPiece") {
    return make_wordpiece(j, where);
  }
  if (type == "WordLevel") {
    return make_wordlevel(j, where);
  }
  if (type == "Unigram") {
    return make_unigram(j, where);
  }
  throw ConfigError(where + ": unknown model type \"" + type + "\"");
}

}  // namespace mlxcpp::tokenizer
