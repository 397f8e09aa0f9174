// Python's operators, attribute and item access, and slicing on template values.
#pragma once

#include <optional>
#include <string>

#include "mlxcpp/tokenizer/jinja/value.h"

namespace mlxcpp::jinja {

/** a op b for + - * / // % ** ~ == != < <= > >= in, "not in". */
Value binary_op(const std::string& op, const Value& a, const Value& b);
/** not, -, + */
Value unary_op(const std::string& op, const Value& a);
/** obj.name as Jinja2 resolves it (a dict's item); Undefined when missing. */
Value get_attr(const Value& obj, const std::string& name);
/** obj[key]; Undefined when missing. */
Value get_item(const Value& obj, const Value& key);
/** obj[start:stop:step] of a list or string (strings by character). */
Value slice_value(const Value& obj, std::optional<int64_t> start, std::optional<int64_t> stop,
                  std::optional<int64_t> step);
/** The characters (code points) of a UTF-8 string, each as a string. */
List characters(const std::string& s);

}  // namespace mlxcpp::jinja
