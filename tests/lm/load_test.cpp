// Loading model folders: what a broken folder reports (one clear error, nothing loaded).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "mlxcpp/lm/load.h"
#include "model_folder_test.h"

namespace mlxcpp::test {
namespace {

class LmLoad : public ModelFolderTest {
 protected:
  template <typename E>
  static void expect_error(const std::string& dir, const std::vector<std::string>& fragments) {
    try {
      lm::load(dir);
      ADD_FAILURE() << "loaded";
    } catch (const E& e) {
      for (const auto& f : fragments) {
        EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
            << "'" << f << "' not in: " << e.what();
      }
    }
  }
};

TEST_F(LmLoad, ReadsEosIdsFromGenerationConfig) {
  auto m = lm::load(fixture("lm/llama"));
  EXPECT_EQ(m.model_type, "llama");
  EXPECT_EQ(m.eos_token_ids, (std::vector<int>{509, 507}));
  EXPECT_EQ(lm::load(fixture("lm/mistral")).eos_token_ids, (std::vector<int>{509}));
  EXPECT_EQ(m.model->num_parameters(), 180672u);  // the index's total_parameters
}

TEST_F(LmLoad, UnknownModelTypeNamesTheKnownOnes) {
  const std::string dir = copy_of("llama");
  auto c = read_json(dir + "/config.json");
  c["model_type"] = "not_a_model";
  write_json(dir + "/config.json", c);
  expect_error<Unsupported>(dir, {"'not_a_model'", "llama", "qwen3"});
}

TEST_F(LmLoad, BadConfigValuesNameTheKey) {
  const std::string dir = copy_of("llama");
  const auto good = read_json(dir + "/config.json");
  for (auto [key, value, words] : std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
           {"num_attention_heads", "four", "expected an integer"},
           {"hidden_size", -64, "positive"},
           {"num_key_value_heads", 3, "must divide"},
           {"rms_norm_eps", "small", "expected a number"},
           {"rope_scaling", nlohmann::json{{"rope_type", "mrope9"}},
            "'mrope9' is not supported"}}) {
    SCOPED_TRACE(key);
    auto c = good;
    c[key] = value;
    write_json(dir + "/config.json", c);
    if (key == "rope_scaling") {
      expect_error<Unsupported>(dir, {words});
    } else {
      expect_error<FormatError>(dir, {"'" + key + "'", words});
    }
  }
  auto c = good;
  c.erase("vocab_size");
  write_json(dir + "/config.json", c);
  expect_error<FormatError>(dir, {"'vocab_size'", "missing"});
  std::ofstream(dir + "/config.json", std::ios::trunc) << "{not json";
  expect_error<FormatError>(dir, {"not valid JSON"});
  fs::remove(dir + "/config.json");
  expect_error<IoError>(dir, {"config.json"});
}

TEST_F(LmLoad, WeightProblemsAreListedTogether) {
  const std::string dir = copy_of("llama");
  auto [w, meta] = load_safetensors(dir + "/model.safetensors");
  w.erase("model.layers.1.mlp.up_proj.weight");
  w.insert_or_assign("model.layers.0.self_attn.k_proj.weight", zeros({16, 64}));
  w.insert_or_assign("model.layers.9.extra.weight", zeros({2}));
  fs::remove(dir + "/model.safetensors.index.json");
  save_safetensors(dir + "/model.safetensors", w, meta);
  expect_error<FormatError>(dir,
                            {"3 weight problem(s)", "missing model.layers.1.mlp.up_proj.weight",
                             "model.layers.0.self_attn.k_proj.weight has shape [16, 64], "
                             "expected [32, 64]",
                             "unexpected model.layers.9.extra.weight"});
}

TEST_F(LmLoad, MissingShardsAndWeightFiles) {
  const std::string dir = copy_of("llama");
  auto index = read_json(dir + "/model.safetensors.index.json");
  index["weight_map"]["model.norm.weight"] = "model-00002-of-00002.safetensors";
  write_json(dir + "/model.safetensors.index.json", index);
  EXPECT_THROW(lm::load(dir), Error);
  fs::remove(dir + "/model.safetensors.index.json");
  fs::remove(dir + "/model.safetensors");
  expect_error<IoError>(dir, {"no model*.safetensors"});
}

TEST_F(LmLoad, QuantizedLayersFollowTheCheckpointAndPerLayerOverrides) {
  // llama-4bit: every linear layer and the embedding carry scales, so all are quantized.
  const std::string dir = copy_of("llama-4bit");
  auto m = lm::load(dir);
  size_t packed = 0;
  for (const auto& [name, a] : m.model->parameters()) {
    packed += a->dtype() == uint32;
  }
  EXPECT_EQ(packed, 1u + 3 * 7);  // embed_tokens + 3 layers x (q, k, v, o, gate, up, down)
  // A per-layer entry that contradicts the checkpoint (8 bits where 4 were stored) is a
  // shape error naming the layer.
  auto c = read_json(dir + "/config.json");
  c["quantization"]["model.layers.0.mlp.down_proj"] = {{"group_size", 64}, {"bits", 8}};
  write_json(dir + "/config.json", c);
  expect_error<FormatError>(dir, {"model.layers.0.mlp.down_proj.weight has shape"});
}

}  // namespace
}  // namespace mlxcpp::test
