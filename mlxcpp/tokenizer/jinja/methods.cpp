// The Python methods of str, list and dict that chat templates call.
#include <algorithm>

#include "mlxcpp/tokenizer/jinja/environment.h"
#include "mlxcpp/tokenizer/jinja/operators.h"
#include "mlxcpp/tokenizer/jinja/text_util.h"
#include "mlxcpp/tokenizer/unicode.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::jinja {

namespace {

std::optional<std::string> opt_string(const Value& v) {
  if (v.is_undefined() || v.is_none()) {
    return std::nullopt;
  }
  if (!v.is_string()) {
    type_error("expected a string argument, got '" + v.type_name() + "'");
  }
  return v.as_string();
}

const std::string& string_arg(const Value& v, const char* method) {
  if (!v.is_string()) {
    type_error(std::string(method) + "() takes a string argument, got '" + v.type_name() + "'");
  }
  return v.as_string();
}

// startswith/endswith accept a string or a tuple of strings.
bool affix(const std::string& s, const Value& arg, bool prefix) {
  const List options = arg.is_list() ? arg.as_list() : List{arg};
  for (const Value& o : options) {
    const std::string& a = string_arg(o, prefix ? "startswith" : "endswith");
    if (a.size() <= s.size() && (prefix ? s.compare(0, a.size(), a) == 0
                                        : s.compare(s.size() - a.size(), a.size(), a) == 0)) {
      return true;
    }
  }
  return false;
}

// "{} and {name}".format(...): positional and named replacement fields.
std::string format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if ((c == '{' || c == '}') && i + 1 < fmt.size() && fmt[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const size_t close = fmt.find('}', i);
    if (close == std::string::npos) {
      type_error("Single '{' encountered in format string");
    }
    const std::string field = fmt.substr(i + 1, close - i - 1);
    Value v;
    if (field.empty()) {
      v = args.get(auto_index++, "");
    } else if (std::all_of(field.begin(), field.end(), ::isdigit)) {
      v = args.get(static_cast<size_t>(std::stoul(field)), "");
    } else {
      v = args.get(SIZE_MAX, field);
    }
    if (v.is_undefined()) {
      type_error("format(): no argument for field {" + field + "}");
    }
    out += to_str(v);
    i = close;
  }
  return out;
}

bool string_method(Environment& env, const std::string& s, std::string_view name, CallArgs& a,
                   Value& r) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    r = Value(py_strip(s, opt_string(a.get(0, "chars")), name != "rstrip", name != "lstrip"));
  } else if (name == "split") {
    const Value max = a.get(1, "maxsplit", Value(int64_t{-1}));
    const auto sep = opt_string(a.get(0, "sep"));
    if (sep && sep->empty()) {
      type_error("empty separator");
    }
    List out;
    for (auto& p : py_split(s, sep, max.as_int())) {
      env.tick();
      out.emplace_back(std::move(p));
    }
    r = Value(std::move(out));
  } else if (name == "startswith" || name == "endswith") {
    r = Value(affix(s, a.get(0, "prefix"), name == "startswith"));
  } else if (name == "replace") {
    const Value count = a.get(2, "count", Value(int64_t{-1}));
    r = Value(py_replace(s, string_arg(a.get(0, "old"), "replace"),
                         string_arg(a.get(1, "new"), "replace"), count.as_int()));
  } else if (name == "upper") {
    r = Value(tokenizer::unicode::python_upper(s));
  } else if (name == "lower") {
    r = Value(tokenizer::unicode::python_lower(s));
  } else if (name == "title") {
    r = Value(py_title(s));
  } else if (name == "capitalize") {
    r = Value(py_capitalize(s));
  } else if (name == "find") {
    r = Value(py_find(s, string_arg(a.get(0, "sub"), "find")));
  } else if (name == "count") {
    r = Value(py_count(s, string_arg(a.get(0, "sub"), "count")));
  } else if (name == "join") {
    std::string out;
    bool first = true;
    for (const Value& item : iterate(a.get(0, "iterable"))) {
      out += first ? "" : s;
      first = false;
      out += string_arg(item, "join");
      env.check_size(out.size(), "a joined string");
    }
    r = Value(std::move(out));
  } else if (name == "format") {
    r = Value(format(s, a));
  } else if (name == "splitlines") {
    List out;
    for (auto& p : py_split(py_replace(s, "\r\n", "\n", -1), std::string("\n"), -1)) {
      out.emplace_back(std::move(p));
    }
    if (!out.empty() && out.back().as_string().empty()) {
      out.pop_back();
    }
    r = Value(std::move(out));
  } else if (name == "isdigit" || name == "isspace" || name == "isalpha" || name == "isalnum") {
    bool all = !s.empty();
    size_t i = 0;
    while (all && i < s.size()) {
      const char32_t c = tokenizer::utf8::next(s, i);
      all = name == "isdigit"   ? tokenizer::unicode::is_decimal(c)
            : name == "isspace" ? tokenizer::unicode::is_python_space(c)
            : name == "isalpha" ? tokenizer::unicode::is_letter(c)
                                : tokenizer::unicode::is_alphanumeric(c);
    }
    r = Value(all);
  } else {
    return false;
  }
  return true;
}

// Refuses to store a container inside itself (a cycle would never be freed).
void check_no_cycle(const Value& stored, const Value& container) {
  if (reaches(stored, container)) {
    type_error("a list or dict cannot contain itself");
  }
}

bool list_method(const Value& obj, std::string_view name, CallArgs& a, Value& r) {
  List& l = obj.as_list();
  if (name == "append") {
    check_no_cycle(a.get(0, "object"), obj);
    l.push_back(a.get(0, "object"));
    r = Value::none();
  } else if (name == "extend") {
    check_no_cycle(a.get(0, "iterable"), obj);
    for (const Value& v : iterate(a.get(0, "iterable"))) {
      l.push_back(v);
    }
    r = Value::none();
  } else if (name == "pop") {
    if (l.empty()) {
      type_error("pop from empty list");
    }
    int64_t i = a.get(0, "index", Value(int64_t{-1})).as_int();
    const auto n = static_cast<int64_t>(l.size());
    i = i < 0 ? i + n : i;
    if (i < 0 || i >= n) {
      type_error("pop index out of range");
    }
    r = l[static_cast<size_t>(i)];
    l.erase(l.begin() + i);
  } else if (name == "insert") {
    const auto n = static_cast<int64_t>(l.size());
    int64_t i = a.get(0, "index").as_int();
    i = std::clamp<int64_t>(i < 0 ? i + n : i, 0, n);
    check_no_cycle(a.get(1, "object"), obj);
    l.insert(l.begin() + i, a.get(1, "object"));
    r = Value::none();
  } else if (name == "index" || name == "count") {
    const Value x = a.get(0, "value");
    int64_t count = 0;
    for (size_t i = 0; i < l.size(); ++i) {
      if (equals(l[i], x)) {
        if (name == "index") {
          r = Value(static_cast<int64_t>(i));
          return true;
        }
        ++count;
      }
    }
    if (name == "index") {
      type_error(to_repr(x) + " is not in list");
    }
    r = Value(count);
  } else if (name == "copy") {
    r = Value(List(l));
  } else if (name == "reverse") {
    std::reverse(l.begin(), l.end());
    r = Value::none();
  } else {
    return false;
  }
  return true;
}

bool dict_method(const Value& obj, std::string_view name, CallArgs& a, Value& r) {
  const Dict& d = obj.as_dict();
  if (name == "items" || name == "keys" || name == "values") {
    List out;
    for (const auto& [k, v] : d) {
      out.push_back(name == "items"  ? Value::make_tuple(List{Value(k), v})
                    : name == "keys" ? Value(k)
                                     : v);
    }
    r = Value(std::move(out));
  } else if (name == "get") {
    const Value key = a.get(0, "key");
    const Value* v = key.is_string() ? obj.find(key.as_string()) : nullptr;
    r = v != nullptr ? *v : a.get(1, "default", Value::none());
  } else if (name == "copy") {
    r = Value(Dict(d));
  } else if (name == "pop") {
    const std::string key = to_str(a.get(0, "key"));
    Dict& m = obj.as_dict();
    auto it = std::find_if(m.begin(), m.end(), [&](const auto& kv) { return kv.first == key; });
    if (it == m.end()) {
      if (!a.has(1, "default")) {
        type_error("KeyError: " + to_repr(Value(key)));
      }
      r = a.get(1, "default");
    } else {
      r = it->second;
      m.erase(it);
    }
  } else if (name == "update") {
    for (const Value& src : a.positional) {
      check_no_cycle(src, obj);
    }
    for (const auto& kv : a.keyword) {
      check_no_cycle(kv.second, obj);
    }
    for (const Value& src : a.positional) {
      if (src.is_dict()) {
        for (const auto& [k, v] : src.as_dict()) {
          obj.set(k, v);
        }
      }
    }
    for (const auto& [k, v] : a.keyword) {
      obj.set(k, v);
    }
    r = Value::none();
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool call_method(Environment& env, const Value& object, std::string_view name, CallArgs& args,
                 Value& result) {
  if (object.is_string()) {
    return string_method(env, object.as_string(), name, args, result);
  }
  if (object.is_list()) {
    return list_method(object, name, args, result);
  }
  if (object.is_dict()) {
    return dict_method(object, name, args, result);
  }
  return false;
}

}  // namespace mlxcpp::jinja
