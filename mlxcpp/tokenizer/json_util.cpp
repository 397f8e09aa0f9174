#include "mlxcpp/tokenizer/json_util.h"

#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer::jsonu {

std::string type_name(const json& v) {
  if (v.is_number_float()) {
    return "a float";
  }
  if (v.is_number_integer()) {
    return "an integer";
  }
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "a value";
  }
}

namespace {

[[noreturn]] void bad(std::string_view where, const char* key, const char* expected,
                      const json& got) {
  throw ConfigError(std::string(where) + "." + key + ": expected " + expected + ", got " +
                    type_name(got));
}

const json* find(const json& j, const char* key) {
  if (!j.is_object()) {
    return nullptr;
  }
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

}  // namespace

const json& require(const json& j, const char* key, std::string_view where) {
  if (!j.is_object()) {
    throw ConfigError(std::string(where) + ": expected an object, got " + type_name(j));
  }
  auto it = j.find(key);
  if (it == j.end()) {
    throw ConfigError(std::string(where) + ": missing key \"" + key + "\"");
  }
  return *it;
}

std::string get_string(const json& j, const char* key, std::string_view where,
                       std::optional<std::string> def) {
  const json* v = find(j, key);
  if (v == nullptr) {
    if (def) {
      return *def;
    }
    throw ConfigError(std::string(where) + ": missing key \"" + key + "\"");
  }
  if (!v->is_string()) {
    bad(where, key, "a string", *v);
  }
  return v->get<std::string>();
}

bool get_bool(const json& j, const char* key, std::string_view where, bool def) {
  const json* v = find(j, key);
  if (v == nullptr) {
    return def;
  }
  if (!v->is_boolean()) {
    bad(where, key, "a boolean", *v);
  }
  return v->get<bool>();
}

std::optional<bool> get_opt_bool(const json& j, const char* key, std::string_view where) {
  const json* v = find(j, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_boolean()) {
    bad(where, key, "a boolean", *v);
  }
  return v->get<bool>();
}

int64_t get_int(const json& j, const char* key, std::string_view where, int64_t def, int64_t lo,
                int64_t hi) {
  const json* v = find(j, key);
  if (v == nullptr) {
    return def;
  }
  if (!v->is_number_integer()) {
    bad(where, key, "an integer", *v);
  }
  int64_t x = 0;
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      throw ConfigError(std::string(where) + "." + key + ": " + std::to_string(u) +
                        " is out of range");
    }
    x = static_cast<int64_t>(u);
  } else {
    x = v->get<int64_t>();
  }
  if (x < lo || x > hi) {
    throw ConfigError(std::string(where) + "." + key + ": " + std::to_string(x) +
                      " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return x;
}

double get_double(const json& j, const char* key, std::string_view where, double def) {
  const json* v = find(j, key);
  if (v == nullptr) {
    return def;
  }
  if (!v->is_number()) {
    bad(where, key, "a number", *v);
  }
  return v->get<double>();
}

char32_t get_char(const json& j, const char* key, std::string_view where, char32_t def) {
  const json* v = find(j, key);
  if (v == nullptr) {
    return def;
  }
  if (!v->is_string()) {
    bad(where, key, "a one-character string", *v);
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.empty() || utf8::length(s) != 1) {
    throw ConfigError(std::string(where) + "." + key + ": expected one character, got \"" + s +
                      "\"");
  }
  size_t i = 0;
  return utf8::next(s, i);
}

std::string base64_decode(std::string_view in, std::string_view where) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    if (c == '+' || c == '-') {
      return 62;
    }
    if (c == '/' || c == '_') {
      return 63;
    }
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '=') {
      break;
    }
    if (c == '\n' || c == '\r') {
      continue;
    }
    const int v = value(c);
    if (v < 0) {
      throw ConfigError(std::string(where) + ": invalid base64 character at position " +
                        std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace mlxcpp::tokenizer::jsonu
