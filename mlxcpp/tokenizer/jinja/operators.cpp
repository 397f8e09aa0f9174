#include "mlxcpp/tokenizer/jinja/operators.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "mlxcpp/tokenizer/jinja/environment.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::jinja {

void undefined_error(const Value& v) {
  throw TemplateError("[chat template] " + (v.undefined_hint().empty()
                                                ? std::string("undefined value")
                                                : v.undefined_hint()));
}

void type_error(const std::string& what) {
  throw TemplateError("[chat template] " + what);
}

namespace {

// Jinja2's name for an object's type in "... has no attribute" messages.
std::string object_name(const Value& v) {
  return v.is_none() ? "None" : v.type_name() + " object";
}

// '<type> object' has no attribute '<name>' (built with append: GCC 12 warns
// falsely on chains of operator+ that start with a literal).
std::string no_attribute(const Value& obj, const std::string& name) {
  std::string s(1, '\'');
  s.append(object_name(obj)).append("' has no attribute '").append(name).append("'");
  return s;
}

[[noreturn]] void unsupported(const std::string& op, const Value& a, const Value& b) {
  type_error("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" +
             b.type_name() + "'");
}

bool both_ints(const Value& a, const Value& b) {
  return (a.is_int() || a.is_bool()) && (b.is_int() || b.is_bool());
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (both_ints(a, b) && op != "/" && op != "**") {
    const int64_t x = a.as_int(), y = b.as_int();
    int64_t r = 0;
    if (op == "+" && !__builtin_add_overflow(x, y, &r)) {
      return Value(r);
    }
    if (op == "-" && !__builtin_sub_overflow(x, y, &r)) {
      return Value(r);
    }
    if (op == "*" && !__builtin_mul_overflow(x, y, &r)) {
      return Value(r);
    }
    if (op == "//" || op == "%") {
      if (y == 0) {
        type_error("integer division or modulo by zero");
      }
      if (x == INT64_MIN && y == -1) {
        return op == "%" ? Value(int64_t{0}) : Value(-static_cast<double>(x));
      }
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {  // Python floors
        --q;
        m += y;
      }
      return Value(op == "//" ? q : m);
    }
    // overflow: continue in floating point
  }
  const double x = a.as_float(), y = b.as_float();
  if (op == "+")
    return Value(x + y);
  if (op == "-")
    return Value(x - y);
  if (op == "*")
    return Value(x * y);
  if (op == "/") {
    if (y == 0) {
      type_error("division by zero");
    }
    return Value(x / y);
  }
  if (op == "//" || op == "%") {
    if (y == 0) {
      type_error("float division or modulo by zero");
    }
    const double m = std::fmod(x, y);
    const double fm = (m != 0 && ((m < 0) != (y < 0))) ? m + y : m;
    return op == "%" ? Value(fm) : Value(std::floor((x - fm) / y + 0.5));
  }
  // **
  if (both_ints(a, b) && b.as_int() >= 0) {
    double p = std::pow(x, y);
    if (std::fabs(p) < 9.2e18) {
      return Value(static_cast<int64_t>(std::llround(p)));
    }
    return Value(p);
  }
  return Value(std::pow(x, y));
}

Value repeat(const Value& seq, int64_t n) {
  if (n <= 0) {
    return seq.is_string() ? Value(std::string()) : Value(List{});
  }
  const size_t unit = seq.is_string() ? seq.as_string().size() : seq.as_list().size();
  if (unit != 0 && static_cast<uint64_t>(n) > (64ull << 20) / unit) {
    type_error("repetition makes a value larger than the output limit");
  }
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) {
      out += seq.as_string();
    }
    return Value(std::move(out));
  }
  List out;
  for (int64_t i = 0; i < n; ++i) {
    out.insert(out.end(), seq.as_list().begin(), seq.as_list().end());
  }
  return Value(std::move(out));
}

// "..." % args: the printf-style formatting templates occasionally use.
Value format_percent(const std::string& fmt, const Value& args) {
  const List items = args.is_list() ? args.as_list() : List{args};
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    std::string spec = "%";
    while (j < fmt.size() && (std::isdigit(static_cast<unsigned char>(fmt[j])) || fmt[j] == '.' ||
                              fmt[j] == '-' || fmt[j] == '+' || fmt[j] == ' ')) {
      spec += fmt[j++];
    }
    if (j >= fmt.size()) {
      type_error("incomplete format");
    }
    const char conv = fmt[j];
    i = j;
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next >= items.size()) {
      type_error("not enough arguments for format string");
    }
    const Value& v = items[next++];
    char buf[128];
    if (conv == 's') {
      out += to_str(v);
    } else if (conv == 'r') {
      out += to_repr(v);
    } else if (conv == 'd' || conv == 'i') {
      if (!v.is_number())
        type_error("%d format: a number is required, not " + v.type_name());
      std::snprintf(
          buf, sizeof(buf), (spec + "lld").c_str(),
          static_cast<long long>(v.is_float() ? static_cast<int64_t>(v.as_float()) : v.as_int()));
      out += buf;
    } else if (conv == 'f' || conv == 'e' || conv == 'g') {
      if (!v.is_number())
        type_error("%f format: a number is required, not " + v.type_name());
      std::snprintf(buf, sizeof(buf), (spec + conv).c_str(), v.as_float());
      out += buf;
    } else {
      type_error(std::string("unsupported format character '") + conv + "'");
    }
  }
  if (next < items.size() && args.is_list()) {
    type_error("not all arguments converted during string formatting");
  }
  return Value(std::move(out));
}

Value add(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    return arithmetic("+", a, b);
  }
  if (a.is_string() && b.is_string()) {
    return Value(a.as_string() + b.as_string());
  }
  if (a.is_list() && b.is_list()) {
    List l = a.as_list();
    l.insert(l.end(), b.as_list().begin(), b.as_list().end());
    return Value(std::move(l));
  }
  if (a.is_string()) {
    type_error("can only concatenate str (not \"" + b.type_name() + "\") to str");
  }
  unsupported("+", a, b);
}

}  // namespace

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") {
    return Value(to_str(a) + to_str(b));
  }
  if (op == "==") {
    return Value(equals(a, b));
  }
  if (op == "!=") {
    return Value(!equals(a, b));
  }
  if (op == "in" || op == "not in") {
    return Value(contains(b, a) == (op == "in"));
  }
  if (a.is_undefined()) {
    undefined_error(a);
  }
  if (b.is_undefined()) {
    undefined_error(b);
  }
  if (op == "<")
    return Value(less(a, b));
  if (op == ">")
    return Value(less(b, a));
  if (op == "<=")
    return Value(!less(b, a));
  if (op == ">=")
    return Value(!less(a, b));
  if (op == "+") {
    return add(a, b);
  }
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) {
      return repeat(a, b.as_int());
    }
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) {
      return repeat(b, a.as_int());
    }
  }
  if (op == "%" && a.is_string()) {
    return format_percent(a.as_string(), b);
  }
  if (a.is_number() && b.is_number()) {
    return arithmetic(op, a, b);
  }
  unsupported(op, a, b);
}

Value unary_op(const std::string& op, const Value& a) {
  if (op == "not") {
    return Value(!a.truthy());
  }
  if (a.is_undefined()) {
    undefined_error(a);
  }
  if (!a.is_number()) {
    type_error("bad operand type for unary " + op + ": '" + a.type_name() + "'");
  }
  if (op == "+") {
    return a.is_bool() ? Value(a.as_int()) : a;
  }
  if (a.is_float()) {
    return Value(-a.as_float());
  }
  if (a.as_int() == INT64_MIN) {
    return Value(-static_cast<double>(a.as_int()));
  }
  return Value(-a.as_int());
}

Value get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) {
    undefined_error(obj);
  }
  if (const Value* v = obj.find(name)) {
    return *v;
  }
  return Value::undefined(no_attribute(obj, name));
}

List characters(const std::string& s) {
  List out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = i;
    i += std::min(tokenizer::utf8::lead_length(static_cast<unsigned char>(s[i])), s.size() - i);
    out.emplace_back(s.substr(b, i - b));
  }
  return out;
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) {
    undefined_error(obj);
  }
  if (obj.is_dict()) {
    if (key.is_string()) {
      if (const Value* v = obj.find(key.as_string())) {
        return *v;
      }
      return Value::undefined(no_attribute(obj, key.as_string()));
    }
    return Value::undefined(object_name(obj) + " has no element " + to_repr(key));
  }
  if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    const List chars = obj.is_string() ? characters(obj.as_string()) : List{};
    const List& seq = obj.is_list() ? obj.as_list() : chars;
    int64_t i = key.as_int();
    const auto n = static_cast<int64_t>(seq.size());
    if (i < 0) {
      i += n;
    }
    if (i >= 0 && i < n) {
      return seq[static_cast<size_t>(i)];
    }
    return Value::undefined(object_name(obj) + " has no element " + to_repr(key));
  }
  if (key.is_string()) {
    return get_attr(obj, key.as_string());
  }
  return Value::undefined(object_name(obj) + " has no element " + to_repr(key));
}

Value slice_value(const Value& obj, std::optional<int64_t> start, std::optional<int64_t> stop,
                  std::optional<int64_t> step) {
  if (obj.is_undefined()) {
    undefined_error(obj);
  }
  if (!obj.is_list() && !obj.is_string()) {
    type_error("'" + obj.type_name() + "' object is not subscriptable");
  }
  const List chars = obj.is_string() ? characters(obj.as_string()) : List{};
  const List& seq = obj.is_list() ? obj.as_list() : chars;
  const auto n = static_cast<int64_t>(seq.size());
  const int64_t st = step.value_or(1);
  if (st == 0) {
    type_error("slice step cannot be zero");
  }
  // Python's slice.indices().
  auto clamp = [&](std::optional<int64_t> v, int64_t def_pos, int64_t def_neg) {
    if (!v) {
      return st > 0 ? def_pos : def_neg;
    }
    int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) {
        x = st > 0 ? 0 : -1;
      }
    } else if (x >= n) {
      x = st > 0 ? n : n - 1;
    }
    return x;
  };
  const int64_t b = clamp(start, 0, n - 1);
  const int64_t e = clamp(stop, n, -1);
  List out;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) {
    out.push_back(seq[static_cast<size_t>(i)]);
  }
  if (obj.is_list()) {
    return Value(std::move(out));
  }
  std::string s;
  for (const auto& c : out) {
    s += c.as_string();
  }
  return Value(std::move(s));
}

List iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
      return {};
    case Value::Kind::List:
      return v.as_list();
    case Value::Kind::Dict: {
      List keys;
      for (const auto& [k, e] : v.as_dict()) {
        keys.emplace_back(k);
      }
      return keys;
    }
    case Value::Kind::String:
      return characters(v.as_string());
    default:
      type_error("'" + v.type_name() + "' object is not iterable");
  }
}

size_t length_of(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined:
      return 0;
    case Value::Kind::List:
      return v.as_list().size();
    case Value::Kind::Dict:
      return v.as_dict().size();
    case Value::Kind::String:
      return tokenizer::utf8::length(v.as_string());
    default:
      type_error("object of type '" + v.type_name() + "' has no len()");
  }
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::Undefined:
      undefined_error(container);
    case Value::Kind::String:
      if (!item.is_string()) {
        type_error("'in <string>' requires string as left operand, not " + item.type_name());
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::List:
      for (const auto& e : container.as_list()) {
        if (equals(e, item)) {
          return true;
        }
      }
      return false;
    case Value::Kind::Dict:
      return item.is_string() && container.find(item.as_string()) != nullptr;
    default:
      type_error("argument of type '" + container.type_name() + "' is not iterable");
  }
}

}  // namespace mlxcpp::jinja
