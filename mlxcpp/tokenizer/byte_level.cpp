#include "mlxcpp/tokenizer/byte_level.h"

#include <array>

#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer::byte_level {

namespace {

struct Tables {
  std::array<char32_t, 256> to_char{};
  std::array<std::string, 256> to_utf8{};
  std::array<int16_t, 512> from_char{};  // every alphabet character is below U+0200

  Tables() {
    from_char.fill(-1);
    // Printable Latin-1 bytes stand for themselves; the others take U+0100 onwards.
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const char32_t c = printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      to_char[static_cast<size_t>(b)] = c;
      to_utf8[static_cast<size_t>(b)] = utf8::encode(c);
      from_char[c] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;  // immutable after construction
  return t;
}

}  // namespace

char32_t byte_to_char(unsigned char b) {
  return tables().to_char[b];
}

std::string_view byte_to_char_utf8(unsigned char b) {
  return tables().to_utf8[b];
}

int char_to_byte(char32_t c) {
  return c < 512 ? tables().from_char[c] : -1;
}

std::string encode(std::string_view bytes) {
  const auto& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += t.to_utf8[b];
  }
  return out;
}

bool decode(std::string_view token, std::string& out) {
  const auto& t = tables();
  const size_t start = out.size();
  size_t i = 0;
  while (i < token.size()) {
    const char32_t c = utf8::next(token, i);
    const int b = c < 512 ? t.from_char[c] : -1;
    if (b < 0) {
      out.resize(start);
      return false;
    }
    out += static_cast<char>(b);
  }
  return true;
}

}  // namespace mlxcpp::tokenizer::byte_level
