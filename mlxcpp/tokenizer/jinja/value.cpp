#include "mlxcpp/tokenizer/jinja/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::jinja {

namespace {

// Values nest at most this deep: converting, printing and comparing recurse,
// and a list may even contain itself.
constexpr int kMaxValueDepth = 256;

void check_value_depth(int depth) {
  if (depth > kMaxValueDepth) {
    throw TemplateError("[chat template] a value is nested deeper than " +
                        std::to_string(kMaxValueDepth) + " levels (or contains itself)");
  }
}

}  // namespace

Value Value::undefined(std::string hint) {
  Value v;
  v.s_ = std::make_shared<const std::string>(std::move(hint));
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::None;
  return v;
}

Value::Value(bool b) : kind_(Kind::Bool), b_(b) {}
Value::Value(int64_t i) : kind_(Kind::Int), i_(i) {}
Value::Value(double d) : kind_(Kind::Float), d_(d) {}
Value::Value(std::string s)
    : kind_(Kind::String), s_(std::make_shared<const std::string>(std::move(s))) {}
Value::Value(List l) : kind_(Kind::List), l_(std::make_shared<List>(std::move(l))) {}
Value::Value(Dict d) : kind_(Kind::Dict), m_(std::make_shared<Dict>(std::move(d))) {}

Value Value::function(Function f, std::string name) {
  Value v;
  v.kind_ = Kind::Function;
  v.f_ = std::make_shared<Function>(std::move(f));
  v.s_ = std::make_shared<const std::string>(std::move(name));
  return v;
}

Value Value::make_tuple(List l) {
  Value v(std::move(l));
  v.namespace_ = true;
  return v;
}

Value Value::make_namespace(Dict d) {
  Value v(std::move(d));
  v.namespace_ = true;
  return v;
}

const std::string& Value::undefined_hint() const {
  static const std::string kEmpty;
  return s_ ? *s_ : kEmpty;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return b_;
    case Kind::Int:
      return i_ != 0;
    case Kind::Float:
      return d_ != 0.0;
    case Kind::String:
      return !s_->empty();
    case Kind::List:
      return !l_->empty();
    case Kind::Dict:
      return namespace_ || !m_->empty();
    case Kind::Function:
      return true;
  }
  return false;
}

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Dict) {
    return nullptr;
  }
  for (const auto& [k, v] : *m_) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

void Value::set(const std::string& key, Value v) const {
  for (auto& [k, old] : *m_) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  m_->emplace_back(key, std::move(v));
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return namespace_ ? "Namespace" : "dict";
    case Kind::Function:
      return "function";
  }
  return "object";
}

Value Value::from_json(const nlohmann::ordered_json& j) {
  return from_json_at(j, 0);
}

Value Value::from_json_at(const nlohmann::ordered_json& j, int depth) {
  check_value_depth(depth);
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return none();
    case nlohmann::ordered_json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const auto u = j.get<uint64_t>();
      return u > static_cast<uint64_t>(INT64_MAX) ? Value(static_cast<double>(u))
                                                  : Value(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      List l;
      l.reserve(j.size());
      for (const auto& e : j) {
        l.push_back(from_json_at(e, depth + 1));
      }
      return Value(std::move(l));
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict d;
      d.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        d.emplace_back(it.key(), from_json_at(it.value(), depth + 1));
      }
      return Value(std::move(d));
    }
    default:
      return none();
  }
}

Value CallArgs::get(size_t index, std::string_view name, Value def) const {
  for (const auto& [k, v] : keyword) {
    if (k == name) {
      return v;
    }
  }
  if (index < positional.size()) {
    return positional[index];
  }
  return def;
}

bool CallArgs::has(size_t index, std::string_view name) const {
  if (index < positional.size()) {
    return true;
  }
  for (const auto& [k, v] : keyword) {
    if (k == name) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Text forms

std::string float_repr(double d) {
  if (std::isnan(d)) {
    return "nan";
  }
  if (std::isinf(d)) {
    return d > 0 ? "inf" : "-inf";
  }
  // Shortest round-trip digits, laid out as Python's repr does: positional
  // for exponents in [-4, 16), else d.ddde+XX.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  const size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  const int exp = std::stoi(sci.substr(e + 1));
  bool negative = false;
  if (!mantissa.empty() && mantissa[0] == '-') {
    negative = true;
    mantissa.erase(0, 1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') {
      digits += c;
    }
  }
  std::string out;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const auto point = static_cast<size_t>(exp) + 1;
      if (digits.size() <= point) {
        out = digits + std::string(point - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, point) + "." + digits.substr(point);
      }
    } else {
      out.assign("0.").append(static_cast<size_t>(-exp - 1), '0').append(digits);
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) {
      out += "." + digits.substr(1);
    }
    char eb[16];
    std::snprintf(eb, sizeof(eb), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  }
  return negative ? "-" + out : out;
}

namespace {

std::string repr_string(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7F) {
          char b[8];
          std::snprintf(b, sizeof(b), "\\x%02x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += quote;
  return out;
}

}  // namespace

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
      return "";
    case Value::Kind::String:
      return v.as_string();
    default:
      return to_repr(v);
  }
}

namespace {

std::string repr_at(const Value& v, int depth);

}  // namespace

std::string to_repr(const Value& v) {
  return repr_at(v, 0);
}

namespace {

std::string repr_at(const Value& v, int depth) {
  check_value_depth(depth);
  switch (v.kind()) {
    case Value::Kind::Undefined:
      return "";
    case Value::Kind::None:
      return "None";
    case Value::Kind::Bool:
      return v.as_bool() ? "True" : "False";
    case Value::Kind::Int:
      return std::to_string(v.as_int());
    case Value::Kind::Float:
      return float_repr(v.as_float());
    case Value::Kind::String:
      return repr_string(v.as_string());
    case Value::Kind::List: {
      const List& l = v.as_list();
      std::string out = v.is_tuple() ? "(" : "[";
      for (size_t i = 0; i < l.size(); ++i) {
        out += i > 0 ? ", " : "";
        out += repr_at(l[i], depth + 1);
      }
      if (v.is_tuple()) {
        return out + (l.size() == 1 ? ",)" : ")");
      }
      return out + "]";
    }
    case Value::Kind::Dict: {
      if (v.is_namespace()) {
        return "<Namespace>";
      }
      std::string out = "{";
      bool first = true;
      for (const auto& [k, e] : v.as_dict()) {
        out += first ? "" : ", ";
        first = false;
        out += repr_string(k) + ": " + repr_at(e, depth + 1);
      }
      return out + "}";
    }
    case Value::Kind::Function:
      return "<function " + v.function_name() + ">";
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------
// JSON (Python's json.dumps)

namespace {

void json_string(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\b':
        out += "\\b";
        ++i;
        continue;
      case '\f':
        out += "\\f";
        ++i;
        continue;
      default:
        break;
    }
    char b[16];
    if (c < 0x20) {
      std::snprintf(b, sizeof(b), "\\u%04x", c);
      out += b;
      ++i;
      continue;
    }
    if (c < 0x80 || !ensure_ascii) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const char32_t cp = tokenizer::utf8::next(s, i);
    if (cp >= 0x10000) {
      const char32_t v = cp - 0x10000;
      std::snprintf(b, sizeof(b), "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                    static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
    } else {
      std::snprintf(b, sizeof(b), "\\u%04x", static_cast<unsigned>(cp));
    }
    out += b;
  }
  out += '"';
}

struct JsonWriter {
  std::optional<int> indent;
  bool ensure_ascii;
  std::string item_sep, key_sep;
  std::string out;
  int depth = 0;

  void newline() {
    if (indent) {
      out += '\n';
      out.append(static_cast<size_t>(*indent) * static_cast<size_t>(depth), ' ');
    }
  }

  void write(const Value& v) {
    check_value_depth(depth);
    switch (v.kind()) {
      case Value::Kind::None:
        out += "null";
        return;
      case Value::Kind::Bool:
        out += v.as_bool() ? "true" : "false";
        return;
      case Value::Kind::Int:
        out += std::to_string(v.as_int());
        return;
      case Value::Kind::Float: {
        const double d = v.as_float();
        out += std::isnan(d)   ? "NaN"
               : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity")
                               : float_repr(d);
        return;
      }
      case Value::Kind::String:
        json_string(v.as_string(), ensure_ascii, out);
        return;
      case Value::Kind::List:
        write_list(v.as_list());
        return;
      case Value::Kind::Dict:
        write_dict(v.as_dict());
        return;
      default:
        throw TemplateError("[chat template] tojson: Object of type " + v.type_name() +
                            " is not JSON serializable");
    }
  }

  void write_list(const List& l) {
    if (l.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    ++depth;
    for (size_t i = 0; i < l.size(); ++i) {
      if (i > 0) {
        out += item_sep;
      }
      newline();
      write(l[i]);
    }
    --depth;
    newline();
    out += ']';
  }

  void write_dict(const Dict& d) {
    if (d.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    ++depth;
    bool first = true;
    for (const auto& [k, e] : d) {
      if (!first) {
        out += item_sep;
      }
      first = false;
      newline();
      json_string(k, ensure_ascii, out);
      out += key_sep;
      write(e);
    }
    --depth;
    newline();
    out += '}';
  }
};

}  // namespace

std::string to_json(const Value& v, std::optional<int> indent, bool ensure_ascii,
                    std::optional<std::pair<std::string, std::string>> separators) {
  JsonWriter w{indent, ensure_ascii, indent ? "," : ", ", ": ", {}, 0};
  if (separators) {
    w.item_sep = separators->first;
    w.key_sep = separators->second;
  }
  w.write(v);
  return std::move(w.out);
}

// ---------------------------------------------------------------------------
// Comparison

namespace {

bool equals_at(const Value& a, const Value& b, int depth);
bool less_at(const Value& a, const Value& b, int depth);

}  // namespace

namespace {

bool reaches_at(const Value& v, const void* target, int depth) {
  check_value_depth(depth);
  if (v.is_list()) {
    if (&v.as_list() == target) {
      return true;
    }
    for (const Value& e : v.as_list()) {
      if (reaches_at(e, target, depth + 1)) {
        return true;
      }
    }
  } else if (v.is_dict()) {
    if (&v.as_dict() == target) {
      return true;
    }
    for (const auto& [k, e] : v.as_dict()) {
      if (reaches_at(e, target, depth + 1)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool reaches(const Value& v, const Value& container) {
  const void* target = container.is_list()   ? static_cast<const void*>(&container.as_list())
                       : container.is_dict() ? static_cast<const void*>(&container.as_dict())
                                             : nullptr;
  return target != nullptr && reaches_at(v, target, 0);
}

bool equals(const Value& a, const Value& b) {
  return equals_at(a, b, 0);
}
bool less(const Value& a, const Value& b) {
  return less_at(a, b, 0);
}

namespace {

bool equals_at(const Value& a, const Value& b, int depth) {
  check_value_depth(depth);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      return a.as_float() == b.as_float();
    }
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case Value::Kind::Undefined:
    case Value::Kind::None:
      return true;
    case Value::Kind::String:
      return a.as_string() == b.as_string();
    case Value::Kind::List: {
      const List& x = a.as_list();
      const List& y = b.as_list();
      if (x.size() != y.size()) {
        return false;
      }
      for (size_t i = 0; i < x.size(); ++i) {
        if (!equals_at(x[i], y[i], depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case Value::Kind::Dict: {
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      if (x.size() != y.size()) {
        return false;
      }
      for (const auto& [k, v] : x) {
        const Value* o = b.find(k);
        if (o == nullptr || !equals_at(v, *o, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case Value::Kind::Function:
      return &a.as_function() == &b.as_function();
    default:
      return false;
  }
}

bool less_at(const Value& a, const Value& b, int depth) {
  check_value_depth(depth);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      return a.as_float() < b.as_float();
    }
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) {
    return a.as_string() < b.as_string();
  }
  if (a.is_list() && b.is_list()) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals_at(x[i], y[i], depth + 1)) {
        return less_at(x[i], y[i], depth + 1);
      }
    }
    return x.size() < y.size();
  }
  throw TemplateError("[chat template] '<' not supported between instances of '" + a.type_name() +
                      "' and '" + b.type_name() + "'");
}

}  // namespace

}  // namespace mlxcpp::jinja
