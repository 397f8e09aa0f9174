// SentencePiece's precompiled character map (the `Precompiled` normalizer): a
// double-array trie from UTF-8 sequences to replacement strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlxcpp/tokenizer/normalized_string.h"

namespace mlxcpp::tokenizer {

class PrecompiledCharsmap {
 public:
  /** Parses the binary blob: u32 trie size, the trie units, then the replacements.
   *  Throws ConfigError when it is malformed. */
  explicit PrecompiledCharsmap(std::string_view blob);

  /** The replacement under the shortest rule that matches a prefix of `chunk`. */
  std::optional<std::string_view> transform(std::string_view chunk) const;

  /** Applies the map grapheme by grapheme as the reference tokenizers do. */
  void normalize(NormalizedString& s) const;

 private:
  std::vector<uint32_t> units_;
  std::string replacements_;
};

}  // namespace mlxcpp::tokenizer
