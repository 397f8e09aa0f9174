// What a tokenizer file gives the Tokenizer class: the tokenizer.json
// pipeline or a SentencePiece model behind one interface.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mlxcpp/tokenizer/encoding.h"
#include "mlxcpp/tokenizer/models/model.h"

namespace mlxcpp::tokenizer {

class Backend {
 public:
  virtual ~Backend() = default;
  /** Encodes valid UTF-8 text; `scratch` (optional) is working memory the caller
   *  reuses across calls on one thread (a cache of recent words). */
  virtual Encoding encode(std::string_view text, bool add_special_tokens,
                          ModelScratch* scratch = nullptr) const = 0;
  /** Decodes ids; throws std::invalid_argument for an id outside the vocabulary. */
  virtual std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int32_t id) const = 0;
  virtual size_t vocab_size() const = 0;
  virtual bool is_special(int32_t id) const = 0;
  /** True when the decoder drops the first token's leading space (SentencePiece style). */
  virtual bool strips_leading_space() const = 0;
};

/** The tokenizer.json pipeline; throws FormatError naming `file` when the JSON is malformed. */
std::unique_ptr<Backend> make_json_backend(std::string_view text, const std::string& file);

/** A SentencePiece model file; BOS/EOS are added per the flags when add_special_tokens. */
std::unique_ptr<Backend> make_sentencepiece_backend(const std::string& path, bool add_bos,
                                                    bool add_eos);

}  // namespace mlxcpp::tokenizer
