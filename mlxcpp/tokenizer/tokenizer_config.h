// tokenizer_config.json and generation_config.json of a model folder: the
// special tokens, BOS/EOS policy, chat templates and stop tokens.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlxcpp::tokenizer {

struct TokenizerConfig {
  /** Special tokens by role ("bos_token", "eos_token", "unk_token", "pad_token", ...). */
  std::map<std::string, std::string> special_tokens;
  std::vector<std::string> additional_special_tokens;
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;
  bool clean_up_tokenization_spaces = false;
  /** model_max_length, when the file gives one that fits in 64 bits. */
  std::optional<int64_t> model_max_length;
  /** Chat templates by name; a single template string is named "default". */
  std::map<std::string, std::string> chat_templates;
  /** generation_config.json's eos_token_id (an int or a list). */
  std::vector<int32_t> generation_eos_token_ids;
  std::optional<int32_t> generation_bos_token_id;

  /** The special token of a role ("bos_token" ...), or nullopt. */
  std::optional<std::string> special(const std::string& role) const;
  /** The template named `name` (empty: "default", else the only one); nullopt if none. */
  std::optional<std::string> chat_template(std::string_view name = {}) const;
};

/** Parses tokenizer_config.json text; throws FormatError naming `file` when malformed. */
void parse_tokenizer_config(std::string_view text, const std::string& file, TokenizerConfig& out);
/** Parses generation_config.json text; throws FormatError naming `file` when malformed. */
void parse_generation_config(std::string_view text, const std::string& file, TokenizerConfig& out);

}  // namespace mlxcpp::tokenizer
