// Splits a template into text and the tokens of its {{ expressions }} and
// {% statements %}, applying whitespace control ({%- -%}, trim_blocks,
// lstrip_blocks) and dropping {# comments #}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlxcpp::jinja {

struct Token {
  enum class Kind {
    Text,        // literal template text
    VarBegin,    // {{
    VarEnd,      // }}
    BlockBegin,  // {%
    BlockEnd,    // %}
    Name,
    String,  // value: the decoded string
    Int,
    Float,
    Operator,  // value: the operator text
    End,
  };
  Kind kind;
  std::string value;
  int line = 1;
};

struct LexerOptions {
  bool trim_blocks = true;    // drop the first newline after a block tag
  bool lstrip_blocks = true;  // drop spaces and tabs before a block tag at a line start
};

/** Tokenizes a template; throws TemplateError (with the line) on a syntax error. */
std::vector<Token> lex(std::string_view source, const LexerOptions& options);

}  // namespace mlxcpp::jinja
