// Added tokens of a tokenizer.json ("added_tokens"): strings matched in the
// text before the model sees it (special tokens such as <|im_start|>, and
// user-added words), each becoming one token.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mlxcpp/tokenizer/json_util.h"

namespace mlxcpp::tokenizer {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  /** Matches only where it is not inside a word. */
  bool single_word = false;
  /** The match also takes the whitespace on its left / right. */
  bool lstrip = false;
  bool rstrip = false;
  /** Matched in the normalized text (else in the raw input). */
  bool normalized = true;
};

/** Reads tokenizer.json's "added_tokens" array; throws ConfigError when malformed. */
std::vector<AddedToken> read_added_tokens(const json& j, const std::string& where);

/** Leftmost-longest matching of a set of strings (a byte trie). */
class TokenMatcher {
 public:
  /** Adds a pattern (non-empty) with the index it reports. */
  void add(std::string_view pattern, uint32_t index);
  bool empty() const { return nodes_.size() == 1; }
  /** False when no pattern starts with byte b (a cheap pre-check). */
  bool may_start(unsigned char b) const { return first_bytes_[b]; }
  /** The longest pattern that starts at text[at]: its length and index. */
  std::optional<std::pair<size_t, uint32_t>> longest_at(std::string_view text, size_t at) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, uint32_t>> children;  // sorted by byte
    int64_t index = -1;
  };
  std::vector<Node> nodes_ = {Node{}};
  std::array<bool, 256> first_bytes_{};
};

/** One range of a text: either an added token (its index) or text for the model. */
struct AddedSplit {
  size_t begin = 0;
  size_t end = 0;
  std::optional<uint32_t> token;  // index into AddedVocabulary::tokens()
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  /** `normalize` turns a token's content into the form matched in normalized text. */
  AddedVocabulary(std::vector<AddedToken> tokens,
                  const std::function<std::string(std::string_view)>& normalize);

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  /** The added token with this id, or nullptr. */
  const AddedToken* by_id(int32_t id) const;
  /** The added token with this content, or nullptr. */
  const AddedToken* by_content(std::string_view content) const;

  /** Splits raw text on the tokens matched before normalization ("normalized": false). */
  std::vector<AddedSplit> split_raw(std::string_view text) const { return split(text, raw_); }
  /** Splits normalized text on the tokens matched after normalization. */
  std::vector<AddedSplit> split_normalized(std::string_view text) const {
    return split(text, normalized_);
  }

 private:
  std::vector<AddedSplit> split(std::string_view text, const TokenMatcher& matcher) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, uint32_t> by_id_;
  std::unordered_map<std::string, uint32_t> by_content_;
  TokenMatcher raw_;
  TokenMatcher normalized_;
};

}  // namespace mlxcpp::tokenizer
