// Jinja2's built-in filters, as chat templates use them (tojson as
// transformers redefines it).
#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "mlxcpp/tokenizer/jinja/environment.h"
#include "mlxcpp/tokenizer/jinja/operators.h"
#include "mlxcpp/tokenizer/jinja/text_util.h"
#include "mlxcpp/tokenizer/unicode.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::jinja {

namespace {

using FilterFn = std::function<Value(Environment&, const Value&, CallArgs&)>;

std::optional<std::string> opt_string(const Value& v) {
  if (v.is_undefined() || v.is_none()) {
    return std::nullopt;
  }
  return to_str(v);
}

int64_t int_arg(const Value& v, const char* what) {
  if (!v.is_int() && !v.is_bool()) {
    type_error(std::string(what) + " must be an integer, got '" + v.type_name() + "'");
  }
  return v.as_int();
}

// Looks up a dotted attribute path ("a.b", "0") on an item, as Jinja2's make_attrgetter.
Value attribute_of(const Value& item, const Value& path) {
  if (path.is_int()) {
    return get_item(item, path);
  }
  Value v = item;
  for (const std::string& part : py_split(to_str(path), std::string("."), -1)) {
    const bool index = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
    v = index ? get_item(v, Value(static_cast<int64_t>(std::stoll(part))))
              : get_item(v, Value(part));
    if (v.is_undefined()) {
      return v;
    }
  }
  return v;
}

// The remaining positional arguments from `from`, plus the keywords.
CallArgs rest(const CallArgs& args, size_t from) {
  CallArgs r;
  for (size_t i = from; i < args.positional.size(); ++i) {
    r.positional.push_back(args.positional[i]);
  }
  r.keyword = args.keyword;
  return r;
}

Value select_like(Environment& env, const Value& v, CallArgs& args, bool by_attribute, bool keep) {
  List out;
  const size_t test_at = by_attribute ? 1 : 0;
  for (const Value& item : iterate(v)) {
    env.tick();
    const Value subject = by_attribute ? attribute_of(item, args.get(0, "attribute")) : item;
    bool pass = false;
    if (args.positional.size() > test_at) {
      CallArgs targs = rest(args, test_at + 1);
      pass = env.apply_test(to_str(args.positional[test_at]), subject, targs);
    } else {
      pass = subject.truthy();
    }
    if (pass == keep) {
      out.push_back(item);
    }
  }
  return Value(std::move(out));
}

Value map_filter(Environment& env, const Value& v, CallArgs& args) {
  List out;
  const bool by_attribute = args.has(99, "attribute");
  for (const Value& item : iterate(v)) {
    env.tick();
    if (by_attribute) {
      Value a = attribute_of(item, args.get(99, "attribute"));
      if (a.is_undefined() && args.has(99, "default")) {
        a = args.get(99, "default");
      }
      out.push_back(a);
    } else {
      if (args.positional.empty()) {
        type_error("map() needs a filter name or attribute=");
      }
      CallArgs fargs = rest(args, 1);
      out.push_back(env.apply_filter(to_str(args.positional[0]), item, fargs));
    }
  }
  return Value(std::move(out));
}

// A key for case-insensitive comparison of strings.
Value fold(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) {
    return Value(tokenizer::unicode::python_lower(v.as_string()));
  }
  return v;
}

Value unique_filter(Environment& env, const Value& v, CallArgs& args) {
  const bool cs = args.get(0, "case_sensitive", Value(false)).truthy();
  const Value attr = args.get(1, "attribute", Value::none());
  List out, seen;
  for (const Value& item : iterate(v)) {
    env.tick();
    const Value key = fold(attr.is_none() ? item : attribute_of(item, attr), cs);
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value(std::move(out));
}

Value min_max(const Value& v, CallArgs& args, bool want_max) {
  const bool cs = args.get(0, "case_sensitive", Value(false)).truthy();
  const Value attr = args.get(1, "attribute", Value::none());
  const List items = iterate(v);
  if (items.empty()) {
    return Value::undefined("No aggregated item, sequence was empty.");
  }
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    const Value a = fold(attr.is_none() ? items[i] : attribute_of(items[i], attr), cs);
    const Value b = fold(attr.is_none() ? items[best] : attribute_of(items[best], attr), cs);
    if (want_max ? less(b, a) : less(a, b)) {
      best = i;
    }
  }
  return items[best];
}

Value sort_filter(const Value& v, CallArgs& args) {
  const bool reverse = args.get(0, "reverse", Value(false)).truthy();
  const bool cs = args.get(1, "case_sensitive", Value(false)).truthy();
  const Value attr = args.get(2, "attribute", Value::none());
  List items = iterate(v);
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const Value a = fold(attr.is_none() ? x : attribute_of(x, attr), cs);
    const Value b = fold(attr.is_none() ? y : attribute_of(y, attr), cs);
    return reverse ? less(b, a) : less(a, b);
  });
  return Value(std::move(items));
}

Value dictsort(const Value& v, CallArgs& args) {
  if (!v.is_dict()) {
    type_error("dictsort expects a dict, got '" + v.type_name() + "'");
  }
  const bool cs = args.get(0, "case_sensitive", Value(false)).truthy();
  const std::string by = to_str(args.get(1, "by", Value("key")));
  const bool reverse = args.get(2, "reverse", Value(false)).truthy();
  const size_t pos = by == "value" ? 1 : 0;
  List items;
  for (const auto& [k, e] : v.as_dict()) {
    items.push_back(Value::make_tuple(List{Value(k), e}));
  }
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const Value a = fold(x.as_list()[pos], cs), b = fold(y.as_list()[pos], cs);
    return reverse ? less(b, a) : less(a, b);
  });
  return Value(std::move(items));
}

Value round_filter(const Value& v, CallArgs& args) {
  const int64_t precision = int_arg(args.get(0, "precision", Value(int64_t{0})), "precision");
  const std::string method = to_str(args.get(1, "method", Value("common")));
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.as_float() * scale;
  double r = 0;
  if (method == "ceil") {
    r = std::ceil(x);
  } else if (method == "floor") {
    r = std::floor(x);
  } else if (method == "common") {
    r = std::nearbyint(x);  // Python's round(): ties to even
  } else {
    type_error("round method must be 'common', 'ceil' or 'floor'");
  }
  return Value(r / scale);
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      lines.push_back(cur);
      cur.clear();
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
        ++i;
      }
    } else {
      cur += s[i];
    }
  }
  if (!cur.empty()) {
    lines.push_back(cur);
  }
  return lines;
}

Value indent_filter(const Value& v, CallArgs& args) {
  const Value width = args.get(0, "width", Value(int64_t{4}));
  const std::string pad =
      width.is_string()
          ? width.as_string()
          : std::string(
                static_cast<size_t>(std::clamp<int64_t>(int_arg(width, "width"), 0, 1 << 16)), ' ');
  const bool first = args.get(1, "first", Value(false)).truthy();
  const bool blank = args.get(2, "blank", Value(false)).truthy();
  std::vector<std::string> lines = split_lines(to_str(v) + "\n");
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += "\n";
      if (blank || !lines[i].empty()) {
        out += pad;
      }
    }
    out += lines[i];
  }
  return Value(first ? pad + out : out);
}

Value tojson_filter(Environment& env, const Value& v, CallArgs& args) {
  const Value indent = args.get(1, "indent", Value::none());
  std::optional<int> ind;
  if (!indent.is_none() && !indent.is_undefined()) {
    ind = static_cast<int>(std::clamp<int64_t>(int_arg(indent, "indent"), 0, 64));
  }
  std::optional<std::pair<std::string, std::string>> seps;
  const Value s = args.get(2, "separators", Value::none());
  if (s.is_list() && s.as_list().size() == 2) {
    seps = std::make_pair(to_str(s.as_list()[0]), to_str(s.as_list()[1]));
  }
  std::string out = to_json(v, ind, args.get(0, "ensure_ascii", Value(false)).truthy(), seps);
  env.check_size(out.size(), "tojson output");
  return Value(std::move(out));
}

Value int_filter(const Value& v, CallArgs& args) {
  const Value def = args.get(0, "default", Value(int64_t{0}));
  if (v.is_int() || v.is_bool()) {
    return Value(v.as_int());
  }
  if (v.is_float()) {
    const double d = v.as_float();
    return std::isfinite(d) && std::fabs(d) < 9.2e18 ? Value(static_cast<int64_t>(d)) : def;
  }
  if (v.is_string()) {
    const std::string s = py_strip(v.as_string(), std::nullopt, true, true);
    char* end = nullptr;
    const long long i = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size()) {
      return Value(static_cast<int64_t>(i));
    }
    const double d = std::strtod(s.c_str(), &end);  // Jinja2 also accepts "3.5"
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d) && std::fabs(d) < 9.2e18) {
      return Value(static_cast<int64_t>(d));
    }
  }
  return def;
}

Value float_filter(const Value& v, CallArgs& args) {
  const Value def = args.get(0, "default", Value(0.0));
  if (v.is_number()) {
    return Value(v.as_float());
  }
  if (v.is_string()) {
    const std::string s = py_strip(v.as_string(), std::nullopt, true, true);
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) {
      return Value(d);
    }
  }
  return def;
}

Value batch_filter(Environment& env, const Value& v, CallArgs& args) {
  const int64_t n = int_arg(args.get(0, "linecount"), "linecount");
  if (n <= 0) {
    type_error("batch size must be positive");
  }
  const Value fill = args.get(1, "fill_with", Value::none());
  List out, cur;
  for (const Value& item : iterate(v)) {
    env.tick();
    cur.push_back(item);
    if (static_cast<int64_t>(cur.size()) == n) {
      out.emplace_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) {
    while (!fill.is_none() && static_cast<int64_t>(cur.size()) < n) {
      cur.push_back(fill);
    }
    out.emplace_back(std::move(cur));
  }
  return Value(std::move(out));
}

Value sum_filter(const Value& v, CallArgs& args) {
  const Value attr = args.get(0, "attribute", Value::none());
  Value total = args.get(1, "start", Value(int64_t{0}));
  for (const Value& item : iterate(v)) {
    total = binary_op("+", total, attr.is_none() ? item : attribute_of(item, attr));
  }
  return total;
}

Value wordcount(const Value& v) {
  const std::string s = to_str(v);
  int64_t n = 0;
  bool in_word = false;
  size_t i = 0;
  while (i < s.size()) {
    const bool w = tokenizer::unicode::is_word_char(tokenizer::utf8::next(s, i));
    n += (w && !in_word) ? 1 : 0;
    in_word = w;
  }
  return Value(n);
}

Value jinja_title(const Value& v) {
  // Jinja2 starts a word after whitespace, '-', and opening brackets.
  const std::string s = to_str(v);
  std::string out;
  bool start = true;
  size_t i = 0;
  while (i < s.size()) {
    const char32_t c = tokenizer::utf8::next(s, i);
    if (start) {
      tokenizer::unicode::append_upper(out, c);
    } else {
      tokenizer::unicode::append_lower(out, c);
    }
    start = tokenizer::unicode::is_whitespace(c) || c == '-' || c == '(' || c == '{' || c == '[' ||
            c == '<';
  }
  return Value(std::move(out));
}

Value escape(const Value& v) {
  std::string out;
  for (char c : to_str(v)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return Value(std::move(out));
}

Value first_or_last(const Value& v, bool first) {
  if (v.is_undefined()) {
    undefined_error(v);
  }
  const List items = iterate(v);
  if (items.empty()) {
    return Value::undefined(std::string("No ") + (first ? "first" : "last") +
                            " item, sequence was empty.");
  }
  return first ? items.front() : items.back();
}

const std::unordered_map<std::string, FilterFn>& filters() {
  static const std::unordered_map<std::string, FilterFn> table = {
      {"tojson", tojson_filter},
      {"trim",
       [](Environment&, const Value& v, CallArgs& a) {
         return Value(py_strip(to_str(v), opt_string(a.get(0, "chars")), true, true));
       }},
      {"upper", [](Environment&, const Value& v,
                   CallArgs&) { return Value(tokenizer::unicode::python_upper(to_str(v))); }},
      {"lower", [](Environment&, const Value& v,
                   CallArgs&) { return Value(tokenizer::unicode::python_lower(to_str(v))); }},
      {"title", [](Environment&, const Value& v, CallArgs&) { return jinja_title(v); }},
      {"capitalize",
       [](Environment&, const Value& v, CallArgs&) { return Value(py_capitalize(to_str(v))); }},
      {"length", [](Environment&, const Value& v,
                    CallArgs&) { return Value(static_cast<int64_t>(length_of(v))); }},
      {"count", [](Environment&, const Value& v,
                   CallArgs&) { return Value(static_cast<int64_t>(length_of(v))); }},
      {"join",
       [](Environment& env, const Value& v, CallArgs& a) {
         const std::string sep = to_str(a.get(0, "d", Value("")));
         const Value attr = a.get(1, "attribute", Value::none());
         std::string out;
         bool first = true;
         for (const Value& item : iterate(v)) {
           env.tick();
           out += first ? "" : sep;
           first = false;
           out += to_str(attr.is_none() ? item : attribute_of(item, attr));
           env.check_size(out.size(), "a joined string");
         }
         return Value(std::move(out));
       }},
      {"first", [](Environment&, const Value& v, CallArgs&) { return first_or_last(v, true); }},
      {"last", [](Environment&, const Value& v, CallArgs&) { return first_or_last(v, false); }},
      {"default",
       [](Environment&, const Value& v, CallArgs& a) {
         const bool boolean = a.get(1, "boolean", Value(false)).truthy();
         if (v.is_undefined() || (boolean && !v.truthy())) {
           return a.get(0, "default_value", Value(""));
         }
         return v;
       }},
      {"items",
       [](Environment&, const Value& v, CallArgs&) {
         List out;
         if (v.is_undefined()) {
           return Value(std::move(out));
         }
         if (!v.is_dict()) {
           type_error("items filter expects a dict, got '" + v.type_name() + "'");
         }
         for (const auto& [k, e] : v.as_dict()) {
           out.push_back(Value::make_tuple(List{Value(k), e}));
         }
         return Value(std::move(out));
       }},
      {"map", map_filter},
      {"select", [](Environment& env, const Value& v,
                    CallArgs& a) { return select_like(env, v, a, false, true); }},
      {"reject", [](Environment& env, const Value& v,
                    CallArgs& a) { return select_like(env, v, a, false, false); }},
      {"selectattr", [](Environment& env, const Value& v,
                        CallArgs& a) { return select_like(env, v, a, true, true); }},
      {"rejectattr", [](Environment& env, const Value& v,
                        CallArgs& a) { return select_like(env, v, a, true, false); }},
      {"list", [](Environment&, const Value& v, CallArgs&) { return Value(iterate(v)); }},
      {"unique", unique_filter},
      {"replace",
       [](Environment&, const Value& v, CallArgs& a) {
         const Value count = a.get(2, "count", Value::none());
         return Value(py_replace(to_str(v), to_str(a.get(0, "old")), to_str(a.get(1, "new")),
                                 count.is_none() ? -1 : int_arg(count, "count")));
       }},
      {"string", [](Environment&, const Value& v, CallArgs&) { return Value(to_str(v)); }},
      {"int", [](Environment&, const Value& v, CallArgs& a) { return int_filter(v, a); }},
      {"float", [](Environment&, const Value& v, CallArgs& a) { return float_filter(v, a); }},
      {"abs",
       [](Environment&, const Value& v, CallArgs&) {
         return unary_op(v.is_number() && less(v, Value(int64_t{0})) ? "-" : "+", v);
       }},
      {"round", [](Environment&, const Value& v, CallArgs& a) { return round_filter(v, a); }},
      {"indent", [](Environment&, const Value& v, CallArgs& a) { return indent_filter(v, a); }},
      {"safe", [](Environment&, const Value& v, CallArgs&) { return v; }},
      {"escape", [](Environment&, const Value& v, CallArgs&) { return escape(v); }},
      {"dictsort", [](Environment&, const Value& v, CallArgs& a) { return dictsort(v, a); }},
      {"batch", batch_filter},
      {"sum", [](Environment&, const Value& v, CallArgs& a) { return sum_filter(v, a); }},
      {"min", [](Environment&, const Value& v, CallArgs& a) { return min_max(v, a, false); }},
      {"max", [](Environment&, const Value& v, CallArgs& a) { return min_max(v, a, true); }},
      {"wordcount", [](Environment&, const Value& v, CallArgs&) { return wordcount(v); }},
      {"reverse",
       [](Environment&, const Value& v, CallArgs&) {
         if (v.is_string()) {
           return slice_value(v, std::nullopt, std::nullopt, -1);
         }
         List items = iterate(v);
         std::reverse(items.begin(), items.end());
         return Value(std::move(items));
       }},
      {"sort", [](Environment&, const Value& v, CallArgs& a) { return sort_filter(v, a); }},
      {"attr", [](Environment&, const Value& v,
                  CallArgs& a) { return get_attr(v, to_str(a.get(0, "name"))); }},
      {"format", [](Environment&, const Value& v,
                    CallArgs& a) { return binary_op("%", Value(to_str(v)), Value(a.positional)); }},
  };
  return table;
}

}  // namespace

bool call_filter(Environment& env, std::string_view name, const Value& operand, CallArgs& args,
                 Value& result) {
  static const std::unordered_map<std::string, std::string> aliases = {{"d", "default"},
                                                                       {"e", "escape"}};
  std::string key(name);
  if (auto a = aliases.find(key); a != aliases.end()) {
    key = a->second;
  }
  const auto& table = filters();
  auto it = table.find(key);
  if (it == table.end()) {
    return false;
  }
  result = it->second(env, operand, args);
  return true;
}

}  // namespace mlxcpp::jinja
