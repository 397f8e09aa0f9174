// Runs a parsed template against a set of variables.
#pragma once

#include <string>

#include "mlxcpp/tokenizer/jinja/ast.h"
#include "mlxcpp/tokenizer/jinja/environment.h"

namespace mlxcpp::jinja {

/** Renders `program` with `variables` (plus the global functions) under `limits`. */
std::string render_program(const Program& program, const Dict& variables,
                           const RenderLimits& limits);

}  // namespace mlxcpp::jinja
