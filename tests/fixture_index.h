// The cases of tests/fixtures/core/index.json (MLX's goldens) and their arrays.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "test_helpers.h"

namespace mlxcpp::test {

/** The index's cases of a family ("ops", "random", "fast", ...) and op, in file order. */
inline std::vector<nlohmann::json> fixture_cases(const std::string& family, const std::string& op) {
  std::ifstream in(fixture("core/index.json"));
  const auto index = nlohmann::json::parse(in);
  std::vector<nlohmann::json> out;
  for (const auto& c : index["cases"]) {
    if (c["family"] == family && c["op"] == op) {
      out.push_back(c);
    }
  }
  return out;
}

/** MLX's "ops" cases of an op. */
inline std::vector<nlohmann::json> ops_cases(const std::string& op) {
  return fixture_cases("ops", op);
}

/** The array an index entry names; bfloat16 arrays are stored as their uint16 bits. */
inline array fixture_array(const nlohmann::json& entry) {
  array a = load(fixture("core/" + entry["file"].get<std::string>()));
  if (entry.value("storage", "") == "bfloat16-bits-as-uint16") {
    a = view(a, bfloat16);
  }
  return a;
}

}  // namespace mlxcpp::test
