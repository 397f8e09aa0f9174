#include "mlxcpp/tokenizer/jinja/template.h"

#include "mlxcpp/tokenizer/jinja/interpreter.h"
#include "mlxcpp/tokenizer/jinja/parser.h"

namespace mlxcpp::jinja {

Template::Template(std::string_view source, const LexerOptions& options)
    : program_(std::make_shared<const Program>(parse(source, options))) {}

std::string Template::render(const nlohmann::ordered_json& variables,
                             const RenderLimits& limits) const {
  if (!variables.is_object()) {
    throw std::invalid_argument("[Template::render] variables must be a JSON object");
  }
  return render(Value::from_json(variables).as_dict(), limits);
}

std::string Template::render(const Dict& variables, const RenderLimits& limits) const {
  return render_program(*program_, variables, limits);
}

}  // namespace mlxcpp::jinja
