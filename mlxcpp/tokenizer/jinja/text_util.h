// Python's string operations the filters and methods share.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlxcpp::jinja {

/** str.strip/lstrip/rstrip: `chars` absent = Unicode whitespace. */
std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                     bool right);
/** str.split(sep, maxsplit): sep absent = runs of whitespace. */
std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep,
                                  int64_t maxsplit);
/** str.replace(old, new, count). */
std::string py_replace(std::string_view s, std::string_view from, std::string_view to,
                       int64_t count);
/** str.title(): a letter after a non-cased character is upper-cased, the rest lowered. */
std::string py_title(std::string_view s);
/** str.capitalize(). */
std::string py_capitalize(std::string_view s);
/** Code point index of the first occurrence (or -1), as str.find. */
int64_t py_find(std::string_view s, std::string_view sub);
/** Non-overlapping occurrences, as str.count. */
int64_t py_count(std::string_view s, std::string_view sub);

}  // namespace mlxcpp::jinja
