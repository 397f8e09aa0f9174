// UTF-8 helpers shared by the tokenizer and the template engine: decoding one
// code point, encoding, and the lossy repair of invalid input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mlxcpp::tokenizer::utf8 {

/** U+FFFD, the replacement character, as UTF-8. */
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/** Length in bytes of the sequence a valid UTF-8 lead byte starts (1 for anything else). */
inline size_t lead_length(unsigned char b) {
  if (b < 0x80) {
    return 1;
  }
  if (b >= 0xF0) {
    return 4;
  }
  if (b >= 0xE0) {
    return 3;
  }
  if (b >= 0xC0) {
    return 2;
  }
  return 1;
}

/** Decodes the code point at s[i] of a *valid* UTF-8 string and advances i past it. */
inline char32_t next(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  const size_t n = lead_length(b0);
  if (i + n > s.size()) {  // defensive: never read past the end
    ++i;
    return 0xFFFD;
  }
  char32_t cp = n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (size_t k = 1; k < n; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  i += n;
  return cp;
}

/** Appends the UTF-8 encoding of cp (invalid code points become U+FFFD). */
void append(std::string& out, char32_t cp);

/** The UTF-8 encoding of cp. */
inline std::string encode(char32_t cp) {
  std::string s;
  append(s, cp);
  return s;
}

/** Number of code points in a valid UTF-8 string. */
size_t length(std::string_view s);

/** True when s is well-formed UTF-8 (no surrogates, no overlongs, <= U+10FFFF). */
bool is_valid(std::string_view s);

/** Byte length of the longest valid prefix of s that ends on a complete sequence. */
size_t valid_prefix(std::string_view s);

/**
 * s with every maximal ill-formed subsequence replaced by U+FFFD, the
 * "substitution of maximal subparts" practice of the Unicode standard (what
 * Python's errors="replace" and Rust's from_utf8_lossy do). A lone invalid
 * byte becomes one U+FFFD; a truncated sequence becomes one U+FFFD.
 */
std::string repair(std::string_view s);

/** Byte offset of the start of the code point that contains byte i of a valid string. */
inline size_t char_start(std::string_view s, size_t i) {
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) {
    --i;
  }
  return i;
}

/** Byte offset just past the code point that contains byte i of a valid string. */
inline size_t char_end(std::string_view s, size_t i) {
  return char_start(s, i) + lead_length(static_cast<unsigned char>(s[char_start(s, i)]));
}

}  // namespace mlxcpp::tokenizer::utf8
