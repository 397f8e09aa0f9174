// Strict accessors for the JSON configuration files of a tokenizer: a missing
// key or a value of the wrong type is a ConfigError naming the key, which the
// loader turns into a FormatError naming the file.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mlxcpp::tokenizer {

using json = nlohmann::json;

/** A configuration value is missing or malformed. */
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace jsonu {

/** Name of a JSON value's type, for messages. */
std::string type_name(const json& v);

/** j[key], which must exist. */
const json& require(const json& j, const char* key, std::string_view where);

/** j[key] as a string; `def` when absent or null (if def is given). */
std::string get_string(const json& j, const char* key, std::string_view where,
                       std::optional<std::string> def = std::nullopt);
/** j[key] as a bool; `def` when absent or null. */
bool get_bool(const json& j, const char* key, std::string_view where, bool def);
/** j[key] as an optional bool (absent or null -> nullopt). */
std::optional<bool> get_opt_bool(const json& j, const char* key, std::string_view where);
/** j[key] as an integer in [lo, hi]; `def` when absent or null. */
int64_t get_int(const json& j, const char* key, std::string_view where, int64_t def,
                int64_t lo = INT64_MIN, int64_t hi = INT64_MAX);
/** j[key] as a double; `def` when absent or null. */
double get_double(const json& j, const char* key, std::string_view where, double def);
/** A single-character string (one code point) at j[key]. */
char32_t get_char(const json& j, const char* key, std::string_view where, char32_t def);

/** Standard base64 (padding optional); throws ConfigError on a bad character. */
std::string base64_decode(std::string_view in, std::string_view where);

}  // namespace jsonu
}  // namespace mlxcpp::tokenizer
