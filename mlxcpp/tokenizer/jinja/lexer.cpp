#include "mlxcpp/tokenizer/jinja/lexer.h"

#include <algorithm>
#include <cctype>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::jinja {

namespace {

[[noreturn]] void fail(int line, const std::string& what) {
  throw TemplateError("[chat template] syntax error on line " + std::to_string(line) + ": " + what);
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

class Lexer {
 public:
  Lexer(std::string_view src, const LexerOptions& o) : src_(src), o_(o) {}

  std::vector<Token> run() {
    size_t text_start = 0;
    bool strip_next_text = false;  // a "-" closed the previous tag
    bool trim_next_newline = false;
    while (true) {
      const size_t tag = find_tag(pos_);
      std::string text(src_.substr(text_start, (tag == npos ? src_.size() : tag) - text_start));
      if (strip_next_text) {
        size_t k = 0;
        while (k < text.size() && is_space(text[k])) {
          ++k;
        }
        text.erase(0, k);
      } else if (trim_next_newline) {
        if (text.rfind("\r\n", 0) == 0) {
          text.erase(0, 2);
        } else if (!text.empty() && text[0] == '\n') {
          text.erase(0, 1);
        }
      }
      if (tag == npos) {
        emit_text(std::move(text), text_start);
        break;
      }
      const char kind = src_[tag + 1];  // '{', '%' or '#'
      const bool minus = tag + 2 < src_.size() && src_[tag + 2] == '-';
      const bool plus = tag + 2 < src_.size() && src_[tag + 2] == '+';
      if (minus) {
        while (!text.empty() && is_space(text.back())) {
          text.pop_back();
        }
      } else if (kind != '{' && o_.lstrip_blocks && !plus) {
        lstrip_line(text, tag);
      }
      emit_text(std::move(text), text_start);
      pos_ = tag + 2 + ((minus || plus) ? 1 : 0);
      bool closed_minus = false;
      if (kind == '#') {
        closed_minus = skip_comment();
      } else if (kind == '{') {
        push(Token::Kind::VarBegin, "");
        closed_minus = lex_inside("}}");
        push(Token::Kind::VarEnd, "");
      } else {
        push(Token::Kind::BlockBegin, "");
        const size_t first = tokens_.size();
        closed_minus = lex_inside("%}");
        push(Token::Kind::BlockEnd, "");
        if (tokens_.size() == first + 2 && tokens_[first].kind == Token::Kind::Name &&
            tokens_[first].value == "raw") {
          tokens_.resize(first - 1);  // drop {% raw %}
          closed_minus = lex_raw(closed_minus);
        }
      }
      strip_next_text = closed_minus;
      trim_next_newline = kind != '{' && o_.trim_blocks;
      text_start = pos_;
    }
    push(Token::Kind::End, "");
    return std::move(tokens_);
  }

 private:
  static constexpr size_t npos = std::string_view::npos;

  size_t find_tag(size_t from) const {
    size_t at = src_.find('{', from);
    while (at != npos && at + 1 < src_.size()) {
      const char c = src_[at + 1];
      if (c == '{' || c == '%' || c == '#') {
        return at;
      }
      at = src_.find('{', at + 1);
    }
    return npos;
  }

  // lstrip_blocks: when only spaces and tabs stand between the line start and
  // the tag, they go.
  void lstrip_line(std::string& text, size_t tag) const {
    size_t k = tag;
    while (k > 0 && (src_[k - 1] == ' ' || src_[k - 1] == '\t')) {
      --k;
    }
    if (k != 0 && src_[k - 1] != '\n') {
      return;
    }
    for (size_t n = tag - k; n > 0 && !text.empty() && (text.back() == ' ' || text.back() == '\t');
         --n) {
      text.pop_back();
    }
  }

  void emit_text(std::string text, size_t start) {
    sync_line(start);
    if (!text.empty()) {
      tokens_.push_back({Token::Kind::Text, std::move(text), line_});
    }
  }

  // Moves the line count forward to source offset `to` (never backwards).
  void sync_line(size_t to) {
    for (; line_pos_ < to && line_pos_ < src_.size(); ++line_pos_) {
      line_ += src_[line_pos_] == '\n' ? 1 : 0;
    }
  }

  void push(Token::Kind k, std::string v) {
    sync_line(pos_);
    tokens_.push_back({k, std::move(v), line_});
  }

  bool skip_comment() {
    const size_t end = src_.find("#}", pos_);
    if (end == npos) {
      fail(line_, "unterminated comment");
    }
    const bool minus = end > pos_ && src_[end - 1] == '-';
    pos_ = end + 2;
    return minus;
  }

  // {% raw %}...{% endraw %}: the text in between, verbatim.
  bool lex_raw(bool strip_start) {
    size_t at = pos_;
    while (true) {
      const size_t open = src_.find("{%", at);
      if (open == npos) {
        fail(line_, "missing {% endraw %}");
      }
      size_t k = open + 2;
      const bool minus = k < src_.size() && src_[k] == '-';
      k += (minus || (k < src_.size() && src_[k] == '+')) ? 1 : 0;
      while (k < src_.size() && is_space(src_[k])) {
        ++k;
      }
      if (src_.compare(k, 6, "endraw") == 0) {
        size_t e = k + 6;
        while (e < src_.size() && is_space(src_[e])) {
          ++e;
        }
        const bool close_minus = e < src_.size() && src_[e] == '-';
        e += close_minus ? 1 : 0;
        if (src_.compare(e, 2, "%}") != 0) {
          fail(line_, "malformed {% endraw %}");
        }
        std::string text(src_.substr(pos_, open - pos_));
        if (strip_start) {
          size_t s = 0;
          while (s < text.size() && is_space(text[s])) {
            ++s;
          }
          text.erase(0, s);
        }
        if (minus) {
          while (!text.empty() && is_space(text.back())) {
            text.pop_back();
          }
        }
        emit_text(std::move(text), pos_);
        pos_ = e + 2;
        return close_minus;
      }
      at = open + 2;
    }
  }

  // Tokens up to the closing delimiter; returns whether it was written "-}}"/"-%}".
  bool lex_inside(std::string_view close) {
    int brackets = 0;  // "}}" inside {{ {'a': {}} }} does not close the tag
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) {
        ++pos_;
      }
      sync_line(pos_);
      if (pos_ >= src_.size()) {
        fail(line_, std::string("missing \"") + std::string(close) + "\"");
      }
      if (brackets == 0 && src_.compare(pos_, close.size(), close) == 0) {
        pos_ += close.size();
        return false;
      }
      if (brackets == 0 && src_[pos_] == '-' && src_.compare(pos_ + 1, close.size(), close) == 0) {
        pos_ += 1 + close.size();
        return true;
      }
      const char c = src_[pos_];
      brackets += (c == '(' || c == '[' || c == '{')   ? 1
                  : (c == ')' || c == ']' || c == '}') ? -1
                                                       : 0;
      brackets = std::max(brackets, 0);
      lex_one();
    }
  }

  void lex_one() {
    const char c = src_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t e = pos_;
      while (e < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[e])) || src_[e] == '_')) {
        ++e;
      }
      push(Token::Kind::Name, std::string(src_.substr(pos_, e - pos_)));
      pos_ = e;
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      lex_number();
      return;
    }
    if (c == '\'' || c == '"') {
      lex_string(c);
      return;
    }
    static constexpr std::string_view kOps[] = {"**", "//", "==", "!=", "<=", ">=", "(", ")", "[",
                                                "]",  "{",  "}",  ",",  ".",  ":",  "|", "~", "+",
                                                "-",  "*",  "/",  "%",  "<",  ">",  "=", "!"};
    for (std::string_view op : kOps) {
      if (src_.compare(pos_, op.size(), op) == 0) {
        push(Token::Kind::Operator, std::string(op));
        pos_ += op.size();
        return;
      }
    }
    fail(line_, std::string("unexpected character '") + c + "'");
  }

  void lex_number() {
    size_t e = pos_;
    bool is_float = false;
    auto digits = [&] {
      while (e < src_.size() &&
             (std::isdigit(static_cast<unsigned char>(src_[e])) || src_[e] == '_')) {
        ++e;
      }
    };
    digits();
    if (e + 1 < src_.size() && src_[e] == '.' &&
        std::isdigit(static_cast<unsigned char>(src_[e + 1]))) {
      is_float = true;
      ++e;
      digits();
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t k = e + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) {
        ++k;
      }
      if (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) {
        is_float = true;
        e = k;
        digits();
      }
    }
    std::string text;
    for (size_t i = pos_; i < e; ++i) {
      if (src_[i] != '_') {
        text += src_[i];
      }
    }
    push(is_float ? Token::Kind::Float : Token::Kind::Int, text);
    pos_ = e;
  }

  void lex_string(char quote) {
    std::string out;
    size_t i = pos_ + 1;
    while (true) {
      if (i >= src_.size()) {
        fail(line_, "unterminated string");
      }
      const char c = src_[i];
      if (c == quote) {
        break;
      }
      if (c != '\\') {
        out += c;
        ++i;
        continue;
      }
      if (i + 1 >= src_.size()) {
        fail(line_, "unterminated string");
      }
      const char e = src_[i + 1];
      i += 2;
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case 'a':
          out += '\a';
          break;
        case '0':
          out += '\0';
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case '\n':
          break;  // a line continuation
        case 'x':
        case 'u':
        case 'U': {
          const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + n > src_.size()) {
            fail(line_, "truncated escape in string");
          }
          char32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            const int d = hex(src_[i + k]);
            if (d < 0) {
              fail(line_, "bad escape in string");
            }
            cp = cp * 16 + static_cast<char32_t>(d);
          }
          i += n;
          tokenizer::utf8::append(out, cp);
          break;
        }
        default:  // Python keeps unknown escapes as they are
          out += '\\';
          out += e;
      }
    }
    push(Token::Kind::String, std::move(out));
    pos_ = i + 1;
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  std::string_view src_;
  LexerOptions o_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_pos_ = 0;  // line_ counts the newlines before this offset
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex(std::string_view source, const LexerOptions& options) {
  return Lexer(source, options).run();
}

}  // namespace mlxcpp::jinja
