// LFM2 beyond the goldens: Hugging Face's conv weight layout is converted on load (mlx-lm's
// sanitize), layer kinds come from layer_types or full_attn_idxs, bad values name the key.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlxcpp/lm/load.h"
#include "model_folder_test.h"

namespace mlxcpp::test {
namespace {

class Lfm2 : public ModelFolderTest {
 protected:
  static array logits(lm::LoadedModel& m) {
    array l = (*m.model)(array({1, 5, 9, 200, 7, 3}, {1, 6}, int32), nullptr);
    l.eval();
    return l;
  }
};

TEST_F(Lfm2, HuggingFaceConvLayoutIsTransposedOnLoad) {
  const std::string dir = copy_of("lfm2");
  auto [weights, meta] = load_safetensors(dir + "/model.safetensors");
  int converted = 0;
  for (auto& [name, w] : weights) {
    if (name.find("conv.conv.weight") != std::string::npos) {
      ASSERT_EQ(w.shape(), (Shape{64, 3, 1}));
      w = transpose(w, {0, 2, 1});  // HF: [C, 1, K]
      ++converted;
    }
  }
  EXPECT_EQ(converted, 3);
  save_safetensors(dir + "/model.safetensors", weights, meta);
  auto hf = lm::load(dir);
  auto mlx = lm::load(fixture("lm/lfm2"));
  EXPECT_EQ(max(abs(subtract(logits(hf), logits(mlx)))).item<float>(), 0.0f);
}

TEST_F(Lfm2, FullAttnIdxsOverridesLayerTypes) {
  const std::string dir = copy_of("lfm2");
  auto c = read_json(dir + "/config.json");
  c["layer_types"] = {"conv", "conv", "conv", "conv"};  // would ask for no attention weights
  c["full_attn_idxs"] = {2};
  write_json(dir + "/config.json", c);
  auto a = lm::load(dir);
  auto b = lm::load(fixture("lm/lfm2"));
  EXPECT_EQ(max(abs(subtract(logits(a), logits(b)))).item<float>(), 0.0f);
  const lm::Cache cache = a.model->make_cache();
  ASSERT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache[0]->class_name(), "ArraysCache");
  EXPECT_EQ(cache[2]->class_name(), "KVCache");
}

TEST_F(Lfm2, BadConfigValuesNameTheKey) {
  const std::string dir = copy_of("lfm2");
  const auto good = read_json(dir + "/config.json");
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"layer_types", {"conv", "full_attention"}},  // 2 entries for 4 layers
      {"block_dim", 32},
      {"conv_L_cache", 0},
      {"norm_eps", nullptr},
  };
  for (const auto& [key, value] : bad) {
    auto c = good;
    c[key] = value;
    write_json(dir + "/config.json", c);
    try {
      lm::load(dir);
      ADD_FAILURE() << key << " accepted";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
    }
  }
  auto c = good;
  c["full_attn_idxs"] = {7};
  write_json(dir + "/config.json", c);
  EXPECT_THROW(lm::load(dir), FormatError);
}

}  // namespace
}  // namespace mlxcpp::test
