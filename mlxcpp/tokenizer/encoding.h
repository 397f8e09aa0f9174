// The result of encoding one text: token ids with their token strings and
// the byte ranges of the input they came from.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mlxcpp::tokenizer {

struct Encoding {
  std::vector<int32_t> ids;
  /** The token strings (vocabulary entries, added tokens' contents). */
  std::vector<std::string> tokens;
  /** [begin, end) byte offsets into the input text (after invalid UTF-8 was
   *  replaced by U+FFFD); special tokens added by post-processing have (0, 0). */
  std::vector<std::pair<size_t, size_t>> offsets;
  /** 1 for a special token (added by post-processing or a special added token). */
  std::vector<uint8_t> special_tokens_mask;

  size_t size() const { return ids.size(); }
  void push(int32_t id, std::string token, std::pair<size_t, size_t> offset, bool special) {
    ids.push_back(id);
    tokens.push_back(std::move(token));
    offsets.push_back(offset);
    special_tokens_mask.push_back(special ? 1 : 0);
  }
};

}  // namespace mlxcpp::tokenizer
