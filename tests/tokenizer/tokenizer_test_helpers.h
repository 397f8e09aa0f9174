// Shared by the tokenizer tests: fixture paths and the golden records.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mlxcpp/tokenizer/tokenizer.h"

namespace mlxcpp::test {

using nlohmann::json;

/** Absolute path of a file under tests/fixtures. */
inline std::string fixture(const std::string& relative) {
  return std::string(MLXCPP_FIXTURES_DIR) + "/" + relative;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/** The records of a JSON-lines file. */
inline std::vector<json> read_jsonl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open " + path);
  }
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      out.push_back(json::parse(line));
    }
  }
  return out;
}

/** The fixture tokenizer of that name (tests/fixtures/tokenizers/<name>/), loaded once. */
inline const Tokenizer& fixture_tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[name];
  if (!slot) {
    slot = std::make_unique<Tokenizer>(Tokenizer::from_folder(fixture("tokenizers/" + name)));
  }
  return *slot;
}

/** Runs f and expects std::invalid_argument naming an id outside the vocabulary. */
template <typename F>
void expect_invalid_id(F&& f) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected std::invalid_argument for an unknown id";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not in the vocabulary"), std::string::npos) << e.what();
  }
}

}  // namespace mlxcpp::test
