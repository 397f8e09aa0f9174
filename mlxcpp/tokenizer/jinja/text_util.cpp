#include "mlxcpp/tokenizer/jinja/text_util.h"

#include "mlxcpp/tokenizer/unicode.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::jinja {

namespace utf8 = tokenizer::utf8;
namespace unicode = tokenizer::unicode;

namespace {

// True when the character at s[i] is to be stripped.
bool strippable(std::string_view s, size_t i, size_t& len,
                const std::optional<std::string>& chars) {
  size_t j = i;
  const char32_t c = utf8::next(s, j);
  len = j - i;
  if (!chars) {
    return unicode::is_python_space(c);
  }
  std::string_view set(*chars);
  size_t k = 0;
  while (k < set.size()) {
    if (utf8::next(set, k) == c) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                     bool right) {
  size_t b = 0, e = s.size(), len = 0;
  if (left) {
    while (b < e && strippable(s, b, len, chars)) {
      b += len;
    }
  }
  if (right) {
    while (e > b) {
      const size_t start = utf8::char_start(s, e - 1);
      if (!strippable(s, start, len, chars)) {
        break;
      }
      e = start;
    }
  }
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep,
                                  int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t prev = 0;
    size_t at = s.find(*sep);
    while (at != std::string_view::npos &&
           (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit)) {
      out.emplace_back(s.substr(prev, at - prev));
      prev = at + sep->size();
      at = s.find(*sep, prev);
    }
    out.emplace_back(s.substr(prev));
    return out;
  }
  size_t i = 0, len = 0;
  while (true) {
    while (i < s.size() && strippable(s, i, len, std::nullopt)) {
      i += len;
    }
    if (i >= s.size()) {
      break;
    }
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      // The rest, without its trailing whitespace, is the last piece.
      out.push_back(py_strip(s.substr(i), std::nullopt, false, true));
      break;
    }
    const size_t b = i;
    while (i < s.size() && !strippable(s, i, len, std::nullopt)) {
      i += len;
    }
    out.emplace_back(s.substr(b, i - b));
  }
  return out;
}

std::string py_replace(std::string_view s, std::string_view from, std::string_view to,
                       int64_t count) {
  std::string out;
  if (from.empty()) {  // Python inserts `to` around every character
    size_t i = 0;
    int64_t n = 0;
    while (i <= s.size()) {
      if (count < 0 || n < count) {
        out.append(to);
        ++n;
      }
      if (i == s.size()) {
        break;
      }
      const size_t b = i;
      utf8::next(s, i);
      out.append(s.substr(b, i - b));
    }
    return out;
  }
  size_t prev = 0;
  int64_t n = 0;
  size_t at = s.find(from);
  while (at != std::string_view::npos && (count < 0 || n < count)) {
    out.append(s.substr(prev, at - prev));
    out.append(to);
    prev = at + from.size();
    ++n;
    at = s.find(from, prev);
  }
  out.append(s.substr(prev));
  return out;
}

std::string py_title(std::string_view s) {
  std::string out;
  bool previous_cased = false;
  size_t i = 0;
  while (i < s.size()) {
    const char32_t c = utf8::next(s, i);
    if (previous_cased) {
      unicode::append_lower(out, c);
    } else {
      unicode::append_title(out, c);
    }
    previous_cased = unicode::is_cased(c);
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  std::string out;
  size_t i = 0;
  bool first = true;
  while (i < s.size()) {
    const char32_t c = utf8::next(s, i);
    if (first) {
      unicode::append_title(out, c);
      first = false;
    } else {
      unicode::append_lower(out, c);
    }
  }
  return out;
}

int64_t py_find(std::string_view s, std::string_view sub) {
  const size_t at = s.find(sub);
  if (at == std::string_view::npos) {
    return -1;
  }
  return static_cast<int64_t>(utf8::length(s.substr(0, at)));
}

int64_t py_count(std::string_view s, std::string_view sub) {
  if (sub.empty()) {
    return static_cast<int64_t>(utf8::length(s)) + 1;
  }
  int64_t n = 0;
  size_t at = s.find(sub);
  while (at != std::string_view::npos) {
    ++n;
    at = s.find(sub, at + sub.size());
  }
  return n;
}

}  // namespace mlxcpp::jinja
