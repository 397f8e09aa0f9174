// The tokenizer of a model folder: text <-> token ids, as Hugging Face
// tokenizers (tokenizer.json) or SentencePiece (tokenizer.model) compute them,
// plus the folder's tokenizer_config.json / generation_config.json.
//
//   auto tok = mlxcpp::Tokenizer::from_folder("Qwen3-0.6B-4bit");
//   std::vector<int32_t> ids = tok.encode("Hello world");
//   std::string text = tok.decode(ids);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlxcpp/tokenizer/encoding.h"
#include "mlxcpp/tokenizer/tokenizer_config.h"

namespace mlxcpp {

namespace tokenizer {
class Backend;
struct ModelScratch;
}  // namespace tokenizer

using tokenizer::Encoding;
using tokenizer::TokenizerConfig;

/** Options of Tokenizer::decode. */
struct DecodeOptions {
  /** Leave out special tokens (added tokens marked special, control pieces). */
  bool skip_special_tokens = false;
  /** transformers' clean_up_tokenization_spaces (" ." -> "." ...); off by default,
   *  whatever tokenizer_config.json says: decode follows tokenizer.json alone. */
  bool clean_up_tokenization_spaces = false;
};

/**
 * An immutable, thread-safe tokenizer; copies share one loaded model.
 * Text that is not valid UTF-8 is tokenized as if each invalid byte sequence
 * were U+FFFD (no error); offsets refer to that repaired text.
 */
class Tokenizer {
 public:
  /** Loads DIR/tokenizer.json (else DIR/tokenizer.model) and, when present,
   *  DIR/tokenizer_config.json and DIR/generation_config.json.
   *  Throws IoError when no tokenizer file is there, FormatError when one is malformed. */
  static Tokenizer from_folder(const std::string& dir);
  /** Loads one tokenizer.json or SentencePiece .model file (no config files). */
  static Tokenizer from_file(const std::string& path);
  /** A tokenizer.json given as text; `name` is used in error messages. */
  static Tokenizer from_json(std::string_view tokenizer_json,
                             const std::string& name = "tokenizer.json",
                             TokenizerConfig config = {});

  /** Token ids of `text`; with add_special_tokens the post-processor's (and the
   *  config's add_bos_token/add_eos_token) special tokens are added. */
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = true) const;
  /** Ids with their token strings and byte offsets into the (repaired) text. */
  Encoding encode_with_offsets(std::string_view text, bool add_special_tokens = true) const;
  /** encode() of each text, spread over the thread pool; results in input order. */
  std::vector<std::vector<int32_t>> encode_batch(const std::vector<std::string>& texts,
                                                 bool add_special_tokens = true) const;

  /** The text of `ids`. Throws std::invalid_argument for an id that is not in the vocabulary. */
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;
  std::string decode(std::span<const int32_t> ids, const DecodeOptions& options) const;

  /** The id of a token string (vocabulary entry or added token), if any. */
  std::optional<int32_t> token_to_id(std::string_view token) const;
  /** The token string of an id, if the id is in the vocabulary. */
  std::optional<std::string> id_to_token(int32_t id) const;
  /** Number of distinct tokens, added tokens included (HF's get_vocab_size(True)). */
  size_t vocab_size() const;
  /** True for special tokens (what decode's skip_special_tokens leaves out). */
  bool is_special(int32_t id) const;

  const TokenizerConfig& config() const;
  /** The id of the config's bos_token (or generation_config's bos_token_id). */
  std::optional<int32_t> bos_token_id() const;
  /** Stop tokens: generation_config.json's eos_token_id(s), else the config's eos_token. */
  std::vector<int32_t> eos_token_ids() const;
  /** True when decoding drops a leading space, as SentencePiece-style decoders do. */
  bool strips_leading_space() const;

 private:
  struct State;
  explicit Tokenizer(std::shared_ptr<const State> state);
  Encoding encode_impl(std::string_view text, bool add_special_tokens,
                       tokenizer::ModelScratch* scratch) const;
  std::shared_ptr<const State> state_;
};

/**
 * Turns generated token ids into text as they arrive, emitting text only once
 * it is final: never half of a UTF-8 character, and with the spaces a full
 * decode would give (SentencePiece's "▁" of a word after the first, ...).
 * Mirrors mlx-lm's streaming detokenizers.
 */
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(Tokenizer tokenizer, bool skip_special_tokens = false);

  /** Forgets every token. */
  void reset();
  /** Appends a token. Throws std::invalid_argument (and changes nothing) for an unknown id. */
  void add_token(int32_t id);
  /** Marks the end of the stream: pending text (even an incomplete character) becomes final. */
  void finalize();
  /** The text made final since the previous call. */
  std::string last_segment();
  /** All text made final so far. */
  const std::string& text() const { return text_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  void advance(bool final);

  Tokenizer tokenizer_;
  bool skip_special_;
  std::vector<int32_t> tokens_;
  std::string text_;
  size_t prefix_offset_ = 0;   // tokens before the context window
  size_t read_offset_ = 0;     // tokens whose text is already final
  size_t segment_offset_ = 0;  // bytes of text_ returned by last_segment()
};

}  // namespace mlxcpp
