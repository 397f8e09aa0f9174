// Every core fixture file listed in the index loads with the recorded shape
// and dtype (the npy reader on files written by NumPy for MLX's goldens).
#include <nlohmann/json.hpp>

#include <fstream>

#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

TEST(Fixtures, EveryIndexedArrayLoadsWithItsShapeAndDtype) {
  std::ifstream in(fixture("core/index.json"));
  auto index = nlohmann::json::parse(in);
  int loaded = 0;
  for (auto& c : index["cases"]) {
    for (const char* group : {"inputs", "outputs"}) {
      for (auto& [name, entry] : c[group].items()) {
        if (entry["dtype"] == "json") {
          continue;
        }
        auto a = load(fixture("core/" + entry["file"].get<std::string>()));
        auto shape = entry["shape"].get<std::vector<int>>();
        EXPECT_EQ(a.shape(), Shape(shape.begin(), shape.end())) << entry["file"];
        const std::string dtype = entry.value("storage", "") == "bfloat16-bits-as-uint16"
                                      ? "uint16"
                                      : entry["dtype"].get<std::string>();
        EXPECT_EQ(std::string(dtype_name(a.dtype())), dtype) << entry["file"];
        ++loaded;
      }
    }
  }
  EXPECT_GT(loaded, 150);
}

}  // namespace
}  // namespace mlxcpp::test
