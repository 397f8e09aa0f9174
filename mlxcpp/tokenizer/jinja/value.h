// The values a chat template computes with, with Python's semantics (as
// Jinja2 gives them): None, bools, ints, floats, strings, lists and dicts
// (shared, as Python objects are), callables, and Undefined.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlxcpp::jinja {

class Value;
struct CallArgs;
using List = std::vector<Value>;
/** A dict keeps its insertion order (as Python's does, and tojson shows). */
using Dict = std::vector<std::pair<std::string, Value>>;
using Function = std::function<Value(CallArgs&)>;

class Value {
 public:
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Function };

  /** Undefined; `hint` is the message an error about it gives. */
  Value() = default;
  static Value undefined(std::string hint);
  static Value none();
  Value(bool b);
  Value(int64_t i);
  Value(int i) : Value(static_cast<int64_t>(i)) {}
  Value(double d);
  Value(std::string s);
  Value(const char* s) : Value(std::string(s)) {}
  Value(List l);
  Value(Dict d);
  static Value function(Function f, std::string name);
  /** A tuple: a list that prints as (a, b). */
  static Value make_tuple(List l);
  /** A namespace(): a dict whose attributes `set ns.x = ...` may assign. */
  static Value make_namespace(Dict d);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number() const {
    return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool;
  }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_function() const { return kind_ == Kind::Function; }
  bool is_namespace() const { return kind_ == Kind::Dict && namespace_; }
  bool is_tuple() const { return kind_ == Kind::List && namespace_; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::Bool ? (b_ ? 1 : 0) : i_; }
  double as_float() const { return kind_ == Kind::Float ? d_ : static_cast<double>(as_int()); }
  const std::string& as_string() const { return *s_; }
  List& as_list() const { return *l_; }
  Dict& as_dict() const { return *m_; }
  const Function& as_function() const { return *f_; }
  const std::string& undefined_hint() const;
  const std::string& function_name() const { return *s_; }

  /** Python truthiness. */
  bool truthy() const;
  /** A dict's item, or nullptr. */
  const Value* find(std::string_view key) const;
  /** Sets a dict's item (replacing, or appending in order). */
  void set(const std::string& key, Value v) const;

  /** Python's type name ("str", "dict", "NoneType", ...), for messages. */
  std::string type_name() const;

  /** From JSON (objects keep their key order); TemplateError when nested too deeply. */
  static Value from_json(const nlohmann::ordered_json& j);

 private:
  static Value from_json_at(const nlohmann::ordered_json& j, int depth);

  Kind kind_ = Kind::Undefined;
  bool b_ = false;
  bool namespace_ = false;  // a namespace (Dict) or a tuple (List)
  int64_t i_ = 0;
  double d_ = 0;
  std::shared_ptr<const std::string> s_;
  std::shared_ptr<List> l_;
  std::shared_ptr<Dict> m_;
  std::shared_ptr<Function> f_;
};

/** Arguments of a call: positional, then keyword, in order. */
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  /** The argument at `index` or named `name`; `def` when absent. */
  Value get(size_t index, std::string_view name, Value def = Value()) const;
  bool has(size_t index, std::string_view name) const;
};

/** Python's str(v). Throws TemplateError for Undefined only when `strict`. */
std::string to_str(const Value& v);
/** Python's repr(v). */
std::string to_repr(const Value& v);
/** Python's repr of a float ("1.0", "0.1", "1e+16"). */
std::string float_repr(double d);

/** json.dumps(v, ensure_ascii, indent, separators, sort_keys=False). */
std::string to_json(const Value& v, std::optional<int> indent, bool ensure_ascii,
                    std::optional<std::pair<std::string, std::string>> separators = std::nullopt);

/** True when `v` is `container` (a list or dict) or holds it at any depth: storing
 *  it there would make a cycle, which templates are not allowed to build. */
bool reaches(const Value& v, const Value& container);

/** Python ==. */
bool equals(const Value& a, const Value& b);
/** Python <; throws TemplateError for types that do not order. */
bool less(const Value& a, const Value& b);

}  // namespace mlxcpp::jinja
