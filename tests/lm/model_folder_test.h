// Shared by the LM tests: reading and writing JSON files, and writable copies of the
// fixture model folders for tests that break them.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "io/io_test_helpers.h"

namespace mlxcpp::test {

inline nlohmann::json read_json(const std::string& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

inline void write_json(const std::string& file, const nlohmann::json& j) {
  std::ofstream(file, std::ios::trunc) << j.dump(2);
}

/** The prompt ids of a fixture folder (golden/tokens.json). */
inline std::vector<int> fixture_prompt(const std::string& folder) {
  return read_json(fixture("lm/" + folder + "/golden/tokens.json"))["ids"].get<std::vector<int>>();
}

/** A test with a temporary folder, where copy_of puts a writable copy of a fixture model. */
class ModelFolderTest : public TempDirTest {
 protected:
  std::string copy_of(const std::string& name) {
    const std::string dst = path(name);
    fs::copy(fixture("lm/" + name), dst, fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(dst)) {
      fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
    }
    return dst;
  }
};

}  // namespace mlxcpp::test
