// Parses the tokens of a template into a Program.
#pragma once

#include <string_view>

#include "mlxcpp/tokenizer/jinja/ast.h"
#include "mlxcpp/tokenizer/jinja/lexer.h"

namespace mlxcpp::jinja {

/** Parses a template; throws TemplateError (with the line) on a syntax error. */
Program parse(std::string_view source, const LexerOptions& options = {});

}  // namespace mlxcpp::jinja
