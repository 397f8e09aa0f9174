#include "mlxcpp/tokenizer/precompiled.h"

#include <utf8proc.h>

#include <cstring>

#include "mlxcpp/tokenizer/json_util.h"

namespace mlxcpp::tokenizer {

namespace {

uint32_t read_u32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int k = 3; k >= 0; --k) {
    v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(k)]);
  }
  return v;
}

uint32_t unit_offset(uint32_t u) {
  return (u >> 10) << ((u & (1u << 9)) >> 6);
}
uint32_t unit_label(uint32_t u) {
  return u & ((1u << 31) | 0xFFu);
}
bool unit_has_leaf(uint32_t u) {
  return ((u >> 8) & 1u) != 0;
}
uint32_t unit_value(uint32_t u) {
  return u & ((1u << 31) - 1);
}

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view blob) {
  if (blob.size() < 4) {
    throw ConfigError("precompiled_charsmap: " + std::to_string(blob.size()) +
                      " bytes is too short for the trie size");
  }
  const uint32_t trie_size = read_u32(blob, 0);
  if (trie_size % 4 != 0 || trie_size > blob.size() - 4) {
    throw ConfigError("precompiled_charsmap: trie size " + std::to_string(trie_size) +
                      " does not fit the " + std::to_string(blob.size()) + "-byte map");
  }
  units_.resize(trie_size / 4);
  for (size_t i = 0; i < units_.size(); ++i) {
    units_[i] = read_u32(blob, 4 + 4 * i);
  }
  replacements_.assign(blob.substr(4 + trie_size));
  if (!utf8::is_valid(replacements_)) {
    throw ConfigError("precompiled_charsmap: the replacement strings are not valid UTF-8");
  }
}

std::optional<std::string_view> PrecompiledCharsmap::transform(std::string_view chunk) const {
  if (units_.empty()) {
    return std::nullopt;
  }
  size_t pos = unit_offset(units_[0]);
  for (unsigned char c : chunk) {
    if (c == 0) {
      break;
    }
    pos ^= c;
    if (pos >= units_.size()) {
      return std::nullopt;
    }
    const uint32_t u = units_[pos];
    if (unit_label(u) != c) {
      return std::nullopt;
    }
    pos ^= unit_offset(u);
    if (unit_has_leaf(u)) {
      if (pos >= units_.size()) {
        return std::nullopt;
      }
      const size_t start = unit_value(units_[pos]);
      if (start >= replacements_.size()) {
        return std::nullopt;
      }
      const size_t end = replacements_.find('\0', start);
      std::string_view r(replacements_);
      r = r.substr(start, end == std::string::npos ? std::string::npos : end - start);
      // Cut at a character boundary so that a corrupt map cannot break UTF-8.
      return r.substr(0, utf8::valid_prefix(r));
    }
  }
  return std::nullopt;
}

void PrecompiledCharsmap::normalize(NormalizedString& s) const {
  const std::string& text = s.get();
  NormalizedString::Rewrite rw(s);
  bool modified = false;
  utf8proc_int32_t state = 0;  // grapheme-break state, carried across the whole text
  size_t i = 0;
  while (i < text.size()) {
    // One extended grapheme cluster: [g, i).
    const size_t g = i;
    char32_t prev = utf8::next(text, i);
    while (i < text.size()) {
      size_t k = i;
      const char32_t c = utf8::next(text, k);
      if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(prev),
                                           static_cast<utf8proc_int32_t>(c), &state)) {
        break;
      }
      prev = c;
      i = k;
    }
    const std::string_view grapheme = std::string_view(text).substr(g, i - g);
    if (grapheme.size() < 6) {
      if (auto r = transform(grapheme)) {
        modified = true;
        rw.put(*r, g, i);
        continue;
      }
    }
    size_t j = g;
    while (j < i) {
      const size_t cb = j;
      utf8::next(text, j);
      if (auto r = transform(std::string_view(text).substr(cb, j - cb))) {
        modified = true;
        rw.put(*r, cb, j);
      } else {
        rw.copy(cb, j);
      }
    }
  }
  if (modified) {
    s = rw.finish();
  }
}

}  // namespace mlxcpp::tokenizer
