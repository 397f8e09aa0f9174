// Jinja2's built-in tests ("x is defined", "n is divisibleby 3", ...).
#include <functional>
#include <unordered_map>

#include "mlxcpp/tokenizer/jinja/environment.h"
#include "mlxcpp/tokenizer/jinja/operators.h"
#include "mlxcpp/tokenizer/unicode.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::jinja {

namespace {

using TestFn = std::function<bool(Environment&, const Value&, CallArgs&)>;

bool all_chars(const Value& v, bool (*pred)(char32_t), bool need_cased) {
  if (!v.is_string()) {
    return false;
  }
  const std::string& s = v.as_string();
  bool any_cased = false;
  size_t i = 0;
  while (i < s.size()) {
    const char32_t c = tokenizer::utf8::next(s, i);
    if (tokenizer::unicode::is_cased(c)) {
      any_cased = true;
      if (!pred(c)) {
        return false;
      }
    }
  }
  return any_cased || !need_cased;
}

int64_t integer(const Value& v, const char* test) {
  if (!v.is_int() && !v.is_bool()) {
    type_error(std::string("the '") + test + "' test needs an integer, got '" + v.type_name() +
               "'");
  }
  return v.as_int();
}

bool compare(const std::string& op, const Value& a, CallArgs& args) {
  return binary_op(op, a, args.get(0, "other")).truthy();
}

const std::unordered_map<std::string, TestFn>& table() {
  static const std::unordered_map<std::string, TestFn> t = {
      {"defined", [](Environment&, const Value& v, CallArgs&) { return !v.is_undefined(); }},
      {"undefined", [](Environment&, const Value& v, CallArgs&) { return v.is_undefined(); }},
      {"none", [](Environment&, const Value& v, CallArgs&) { return v.is_none(); }},
      {"string", [](Environment&, const Value& v, CallArgs&) { return v.is_string(); }},
      {"number", [](Environment&, const Value& v, CallArgs&) { return v.is_number(); }},
      {"integer", [](Environment&, const Value& v, CallArgs&) { return v.is_int(); }},
      {"float", [](Environment&, const Value& v, CallArgs&) { return v.is_float(); }},
      {"boolean", [](Environment&, const Value& v, CallArgs&) { return v.is_bool(); }},
      {"true", [](Environment&, const Value& v, CallArgs&) { return v.is_bool() && v.as_bool(); }},
      {"false",
       [](Environment&, const Value& v, CallArgs&) { return v.is_bool() && !v.as_bool(); }},
      {"mapping", [](Environment&, const Value& v, CallArgs&) { return v.is_dict(); }},
      {"iterable",
       [](Environment&, const Value& v, CallArgs&) {
         return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
       }},
      {"sequence", [](Environment&, const Value& v,
                      CallArgs&) { return v.is_list() || v.is_dict() || v.is_string(); }},
      {"callable", [](Environment&, const Value& v, CallArgs&) { return v.is_function(); }},
      {"odd", [](Environment&, const Value& v, CallArgs&) { return integer(v, "odd") % 2 != 0; }},
      {"even", [](Environment&, const Value& v, CallArgs&) { return integer(v, "even") % 2 == 0; }},
      {"divisibleby",
       [](Environment&, const Value& v, CallArgs& a) {
         const int64_t d = integer(a.get(0, "num"), "divisibleby");
         if (d == 0) {
           type_error("divisibleby 0");
         }
         return integer(v, "divisibleby") % d == 0;
       }},
      {"eq", [](Environment&, const Value& v, CallArgs& a) { return compare("==", v, a); }},
      {"ne", [](Environment&, const Value& v, CallArgs& a) { return compare("!=", v, a); }},
      {"lt", [](Environment&, const Value& v, CallArgs& a) { return compare("<", v, a); }},
      {"le", [](Environment&, const Value& v, CallArgs& a) { return compare("<=", v, a); }},
      {"gt", [](Environment&, const Value& v, CallArgs& a) { return compare(">", v, a); }},
      {"ge", [](Environment&, const Value& v, CallArgs& a) { return compare(">=", v, a); }},
      {"in",
       [](Environment&, const Value& v, CallArgs& a) { return contains(a.get(0, "seq"), v); }},
      {"sameas",
       [](Environment&, const Value& v, CallArgs& a) {
         const Value o = a.get(0, "other");
         if (v.is_none() || v.is_bool() || o.is_none() || o.is_bool()) {
           return v.kind() == o.kind() && equals(v, o);
         }
         return v.kind() == o.kind() && (v.is_list()   ? &v.as_list() == &o.as_list()
                                         : v.is_dict() ? &v.as_dict() == &o.as_dict()
                                                       : equals(v, o));
       }},
      {"lower", [](Environment&, const Value& v,
                   CallArgs&) { return all_chars(v, tokenizer::unicode::is_lower, true); }},
      {"upper", [](Environment&, const Value& v,
                   CallArgs&) { return all_chars(v, tokenizer::unicode::is_upper, true); }},
      {"escaped", [](Environment&, const Value&, CallArgs&) { return false; }},
  };
  return t;
}

}  // namespace

bool call_test(Environment& env, std::string_view name, const Value& operand, CallArgs& args,
               bool& result) {
  static const std::unordered_map<std::string, std::string> aliases = {
      {"==", "eq"}, {"equalto", "eq"}, {"!=", "ne"},          {"<", "lt"}, {"lessthan", "lt"},
      {"<=", "le"}, {">", "gt"},       {"greaterthan", "gt"}, {">=", "ge"}};
  std::string key(name);
  if (auto a = aliases.find(key); a != aliases.end()) {
    key = a->second;
  }
  auto it = table().find(key);
  if (it == table().end()) {
    return false;
  }
  result = it->second(env, operand, args);
  return true;
}

}  // namespace mlxcpp::jinja
