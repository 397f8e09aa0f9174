// The model of a tokenizer.json: turns one pre-tokenized piece into token ids
// (BPE, WordPiece, Unigram, WordLevel).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/json_util.h"

namespace mlxcpp::tokenizer {

/** A token of one piece: its id and the byte range of the piece it covers. */
struct ModelToken {
  int32_t id = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
  /** The token's text is the piece's bytes [begin, end), not the vocabulary
   *  entry (Unigram's unknown pieces). */
  bool raw = false;
};

/** Hash for string keys that also looks up string_views without a copy. */
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using StringIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

/**
 * Per-call working memory of a model (a cache of recent words and reused
 * buffers). One scratch is used by one thread at a time; the model itself is
 * immutable and shared.
 */
struct ModelScratch {
  std::unordered_map<std::string, std::vector<ModelToken>, StringHash, std::equal_to<>> cache;
  std::string key;
  std::vector<int32_t> ids;
  std::vector<uint32_t> lens;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
};

/** Id <-> token tables shared by the models. */
class Vocab {
 public:
  /** Builds the tables; throws ConfigError for a negative or absurdly sparse id. */
  void build(std::vector<std::pair<std::string, int32_t>> entries, std::string_view where);
  std::optional<int32_t> find(std::string_view token) const {
    auto it = to_id_.find(token);
    return it == to_id_.end() ? std::nullopt : std::optional<int32_t>(it->second);
  }
  const std::string* token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= to_token_.size() ||
        !present_[static_cast<size_t>(id)]) {
      return nullptr;
    }
    return &to_token_[static_cast<size_t>(id)];
  }
  size_t size() const { return to_id_.size(); }
  const StringIdMap& map() const { return to_id_; }

 private:
  StringIdMap to_id_;
  std::vector<std::string> to_token_;
  std::vector<bool> present_;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string_view type() const = 0;
  /**
   * Appends the tokens of `text` to `out`. With `byte_level` the text is raw
   * bytes that the byte-level alphabet still has to show; only models whose
   * supports_byte_level() is true are given such text.
   */
  virtual void tokenize(std::string_view text, bool byte_level, std::vector<ModelToken>& out,
                        ModelScratch& scratch) const = 0;
  virtual bool supports_byte_level() const { return false; }
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual const std::string* id_to_token(int32_t id) const = 0;
  /** Number of entries of the model's vocabulary (as the reference counts it). */
  virtual size_t vocab_size() const = 0;
  virtual const StringIdMap& vocab() const = 0;
};

/** Builds the model from tokenizer.json's "model" object (type inferred when absent). */
std::unique_ptr<Model> make_model(const json& j, const std::string& where = "model");

std::unique_ptr<Model> make_bpe(const json& j, const std::string& where);
std::unique_ptr<Model> make_wordpiece(const json& j, const std::string& where);
std::unique_ptr<Model> make_wordlevel(const json& j, const std::string& where);
std::unique_ptr<Model> make_unigram(const json& j, const std::string& where);

/** Reads a {"token": id, ...} vocabulary object. */
std::vector<std::pair<std::string, int32_t>> read_vocab_object(const json& j,
                                                               const std::string& where);

}  // namespace mlxcpp::tokenizer
