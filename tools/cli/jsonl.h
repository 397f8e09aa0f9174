// Helpers the text subcommands share: reading files and JSON-lines input.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>

#include "mlxcpp/core/errors.h"

namespace mlxcpp::cli {

/** The whole of a file ("-" = stdin); throws IoError when it cannot be read. */
inline std::string read_all(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw IoError("cannot open " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/** A JSON file's value; throws FormatError naming the file when it is not JSON. */
inline nlohmann::ordered_json read_json_file(const std::string& path) {
  const std::string text = read_all(path);
  auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    throw FormatError(path, 0, "not valid JSON");
  }
  return j;
}

/** Calls fn(line) for each non-empty line of a file ("-" = stdin). */
inline void for_each_line(const std::string& path,
                          const std::function<void(const std::string&)>& fn) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      throw IoError("cannot open " + path);
    }
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (!line.empty()) {
      fn(line);
    }
  }
}

/** One JSON value per line, written compactly; invalid UTF-8 becomes U+FFFD. */
inline std::string json_line(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace mlxcpp::cli
