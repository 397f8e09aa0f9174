#include "mlxcpp/tokenizer/jinja/builtins.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace mlxcpp::jinja {

std::tm template_clock() {
  std::tm out{};
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    char* end = nullptr;
    const long long seconds = std::strtoll(epoch, &end, 10);
    if (end != nullptr && *end == '\0' && seconds >= 0) {
      const auto t = static_cast<std::time_t>(seconds);
      gmtime_r(&t, &out);
      return out;
    }
  }
  const std::time_t now = std::time(nullptr);
  localtime_r(&now, &out);
  return out;
}

namespace {

Value range(Environment& env, CallArgs& args) {
  std::vector<int64_t> n;
  for (const auto& v : args.positional) {
    if (!v.is_int() && !v.is_bool()) {
      type_error("range() takes integers, got '" + v.type_name() + "'");
    }
    n.push_back(v.as_int());
  }
  if (n.empty() || n.size() > 3) {
    type_error("range() takes 1 to 3 arguments");
  }
  const int64_t start = n.size() == 1 ? 0 : n[0];
  const int64_t stop = n.size() == 1 ? n[0] : n[1];
  const int64_t step = n.size() == 3 ? n[2] : 1;
  if (step == 0) {
    type_error("range() step must not be zero");
  }
  const double count =
      std::max(0.0, std::ceil((static_cast<double>(stop) - static_cast<double>(start)) /
                              static_cast<double>(step)));
  if (count > static_cast<double>(env.limits().max_loop_iterations)) {
    type_error("range() of " + std::to_string(static_cast<uint64_t>(count)) +
               " items exceeds the loop limit");
  }
  List out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    out.emplace_back(i);
  }
  return Value(std::move(out));
}

Dict keyword_dict(CallArgs& args, const char* fn) {
  Dict d;
  for (const auto& v : args.positional) {
    if (!v.is_dict()) {
      type_error(std::string(fn) + "() takes keyword arguments or a dict");
    }
    for (const auto& kv : v.as_dict()) {
      d.push_back(kv);
    }
  }
  for (auto& [k, v] : args.keyword) {
    d.emplace_back(k, v);
  }
  return d;
}

Value strftime_now(CallArgs& args) {
  const Value fmt = args.get(0, "format");
  if (!fmt.is_string()) {
    type_error("strftime_now() takes a format string");
  }
  const std::tm t = template_clock();
  std::string buf(256 + fmt.as_string().size() * 8, '\0');
  const size_t n = std::strftime(buf.data(), buf.size(), fmt.as_string().c_str(), &t);
  buf.resize(n);
  return Value(std::move(buf));
}

}  // namespace

std::unordered_map<std::string, Value> make_globals(Environment& env) {
  std::unordered_map<std::string, Value> g;
  g["range"] = Value::function([&env](CallArgs& a) { return range(env, a); }, "range");
  g["namespace"] = Value::function(
      [](CallArgs& a) { return Value::make_namespace(keyword_dict(a, "namespace")); }, "namespace");
  g["dict"] = Value::function([](CallArgs& a) { return Value(keyword_dict(a, "dict")); }, "dict");
  g["raise_exception"] =
      Value::function([](CallArgs& a) -> Value { throw RaisedError(to_str(a.get(0, "message"))); },
                      "raise_exception");
  g["strftime_now"] = Value::function(strftime_now, "strftime_now");
  return g;
}

}  // namespace mlxcpp::jinja
