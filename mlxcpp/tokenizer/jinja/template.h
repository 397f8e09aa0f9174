// A Jinja template engine of our own for chat templates: parse once, render
// many times with JSON variables, inside a sandbox (output size, loop
// iterations and call depth are bounded; errors are TemplateError).
//
//   mlxcpp::jinja::Template t("{% for m in messages %}{{ m.content }}{% endfor %}");
//   std::string s = t.render({{"messages", messages_json}});
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "mlxcpp/tokenizer/jinja/environment.h"
#include "mlxcpp/tokenizer/jinja/lexer.h"
#include "mlxcpp/tokenizer/jinja/value.h"

namespace mlxcpp::jinja {

struct Program;

class Template {
 public:
  /** Parses `source` with trim_blocks and lstrip_blocks on, as transformers does.
   *  Throws TemplateError naming the line on a syntax error. */
  explicit Template(std::string_view source, const LexerOptions& options = {});

  /** Renders with the given variables (a JSON object; keys keep their order).
   *  Throws TemplateError (RaisedError for raise_exception) when rendering fails. */
  std::string render(const nlohmann::ordered_json& variables,
                     const RenderLimits& limits = {}) const;
  /** Renders with variables that are already template values. */
  std::string render(const Dict& variables, const RenderLimits& limits = {}) const;

 private:
  std::shared_ptr<const Program> program_;
};

}  // namespace mlxcpp::jinja
