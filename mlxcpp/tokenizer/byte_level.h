// GPT-2's byte-level alphabet: each of the 256 byte values is shown as a
// printable character ('Ġ' for a space, ...) so that BPE vocabularies are text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mlxcpp::tokenizer::byte_level {

/** The character that stands for byte b. */
char32_t byte_to_char(unsigned char b);

/** The UTF-8 encoding of byte_to_char(b). */
std::string_view byte_to_char_utf8(unsigned char b);

/** The byte a character stands for, or -1 when it is not in the alphabet. */
int char_to_byte(char32_t c);

/** Maps every byte of `bytes` to its character (UTF-8 output). */
std::string encode(std::string_view bytes);

/**
 * Maps a token's characters back to bytes. Returns false (and leaves `out`
 * unchanged) when some character is not in the alphabet.
 */
bool decode(std::string_view token, std::string& out);

/** GPT-2's pre-tokenization regex. */
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace mlxcpp::tokenizer::byte_level
