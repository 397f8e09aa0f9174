// Loading model folders: what a broken folder reports (one clear error, nothing loaded).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <typeinfo>

#include "mlxcpp/lm/config.h"
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
  /** The logits of `model` on fixture folder `folder`'s prompt. */
  static array prompt_logits(lm::Model& model, const std::string& folder) {
    const auto ids = fixture_prompt(folder);
    return model(array(ids.begin(), {1, int(ids.size())}, int32), nullptr);
  }
  /** Whether the model in `dir` gives fixture folder `folder`'s logits on its prompt, bit for
   *  bit. */
  static bool same_logits(const std::string& dir, const std::string& folder) {
    return array_equal(prompt_logits(*lm::load(dir).model, folder),
                       prompt_logits(*lm::load(fixture("lm/" + folder)).model, folder))
        .item<bool>();
  }
};

TEST_F(LmLoad, ReadsEosIdsFromGenerationConfig) {
  auto m = lm::load(fixture("lm/llama"));
  EXPECT_EQ(m.model_type, "llama");
  EXPECT_EQ(m.eos_token_ids, (std::vector<int>{509, 507}));
  EXPECT_EQ(lm::load(fixture("lm/mistral")).eos_token_ids, (std::vector<int>{509}));
  EXPECT_EQ(m.model->num_parameters(), 180672u);  // the index's total_parameters
}

// generation_config.json overrides config.json's eos ids only with ids: an empty list or
// null (as mlx-lm reads them, falsy) would leave generation without a stop id.
TEST_F(LmLoad, EmptyGenerationConfigEosKeepsTheConfigs) {
  const std::string dir = copy_of("llama");
  for (const nlohmann::json& none : {nlohmann::json::array(), nlohmann::json()}) {
    write_json(dir + "/generation_config.json", {{"eos_token_id", none}});
    EXPECT_EQ(lm::load(dir).eos_token_ids, (std::vector<int>{509}));  // config.json's
  }
}

TEST_F(LmLoad, UnknownModelTypeNamesTheKnownOnes) {
  const std::string dir = copy_of("llama");
  auto c = read_json(dir + "/config.json");
  c["model_type"] = "not_a_model";
  write_json(dir + "/config.json", c);
  expect_error<Unsupported>(dir, {"'not_a_model'", "llama", "qwen3"});
}

// Folders this loader cannot run are refused before any weight is read, saying why: weights
// quantized by another tool (only quantization_config, as AWQ / GPTQ repos have) and
// custom model code (model_file, which mlx-lm also refuses unless trusted).
TEST_F(LmLoad, ForeignQuantizationAndCustomCodeAreRefused) {
  const std::string dir = copy_of("llama");
  const auto good = read_json(dir + "/config.json");
  auto c = good;
  c["quantization_config"] = {{"quant_method", "awq"}, {"bits", 4}};
  write_json(dir + "/config.json", c);
  expect_error<Unsupported>(dir, {"quant_method 'awq'", "mlx_lm.convert"});
  c = good;
  c["model_file"] = "modeling_custom.py";
  write_json(dir + "/config.json", c);
  expect_error<Unsupported>(dir, {"model_file", "custom model code"});
  // An MLX folder keeps quantization_config beside quantization (mlx-lm writes both).
  const std::string q = copy_of("llama-4bit");
  auto qc = read_json(q + "/config.json");
  qc["quantization_config"] = qc["quantization"];
  write_json(q + "/config.json", qc);
  EXPECT_NO_THROW(lm::load(q));
}

TEST_F(LmLoad, BadConfigValuesNameTheKey) {
  const std::string dir = copy_of("llama");
  const auto good = read_json(dir + "/config.json");
  for (auto [key, value, words] : std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
           {"num_attention_heads", "four", "expected an integer"},
           {"hidden_size", -64, "positive"},
           {"num_key_value_heads", 3, "must divide"},
           {"rms_norm_eps", "small", "expected a number"},
           {"rope_scaling", nlohmann::json{{"rope_type", "mrope9"}}, "'mrope9' is not supported"},
           {"rms_norm_eps", -1e-5, "expected a positive number"},
           {"rope_theta", 0, "expected a positive number"},
           {"rope_theta", 1e39, "out of range"},
           {"num_attention_heads", 18446744073709551615ull, "out of range"},
           {"head_dim", 15, "must be positive and even"},
           {"head_dim", 1 << 30, "exceed 2^31 - 1"},
           {"eos_token_id", 4294967298ll, "expected token ids"},
           {"eos_token_id", nlohmann::json::array({509, -1}), "expected token ids"},
           {"num_hidden_layers", 2000000000, "end at layer 2"}}) {
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
  // The scaling's own values, each named.
  for (auto [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"factor", 0}, {"low_freq_factor", -1}, {"original_max_position_embeddings", 0}}) {
    SCOPED_TRACE(key);
    auto c = good;
    c["rope_scaling"][key] = value;
    write_json(dir + "/config.json", c);
    expect_error<FormatError>(dir, {"'rope_scaling." + key + "'", "must be positive"});
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

TEST_F(LmLoad, TransformersV5RopeParametersStandInForRopeThetaAndScaling) {
  const std::string dir = copy_of("llama");
  auto c = read_json(dir + "/config.json");
  nlohmann::json rp = c["rope_scaling"];
  rp["rope_theta"] = c["rope_theta"];
  c.erase("rope_scaling");
  c.erase("rope_theta");
  c["rope_parameters"] = rp;
  write_json(dir + "/config.json", c);
  const array tokens = array({508, 284, 10, 379}, {1, 4}, int32);
  const array want = (*lm::load(fixture("lm/llama")).model)(tokens, nullptr);
  const array got = (*lm::load(dir).model)(tokens, nullptr);
  EXPECT_TRUE(array_equal(got, want).item<bool>());
  // Without it the default RoPE with base 10000 would run: the logits differ.
  c.erase("rope_parameters");
  write_json(dir + "/config.json", c);
  EXPECT_FALSE(allclose(((*lm::load(dir).model)(tokens, nullptr)), want).item<bool>());
}

TEST_F(LmLoad, ArchitectureSpecificListsAreChecked) {
  std::string dir = copy_of("lfm2");
  auto c = read_json(dir + "/config.json");
  c["layer_types"][2] = "full_atention";
  write_json(dir + "/config.json", c);
  expect_error<FormatError>(dir, {"'layer_types'", "'full_atention' is not a layer type"});
  dir = copy_of("qwen3_moe");
  c = read_json(dir + "/config.json");
  for (const nlohmann::json& bad :
       {nlohmann::json::array({"1"}), nlohmann::json::array({1.9}), nlohmann::json::array({99})}) {
    c["mlp_only_layers"] = bad;
    write_json(dir + "/config.json", c);
    expect_error<FormatError>(dir, {"'mlp_only_layers'", "expected layer indices"});
  }
}

// mlx-lm hands a per-layer entry to to_quantized as it is: what the entry leaves out takes
// to_quantized's defaults (affine, the mode's group size and bits), not the global ones.
TEST(QuantPlanEntries, StartFromToQuantizedDefaults) {
  const lm::ModelConfig c(
      nlohmann::json{{"quantization",
                      {{"group_size", 32},
                       {"bits", 4},
                       {"mode", "mxfp4"},
                       {"model.layers.0.mlp.gate", {{"group_size", 64}, {"bits", 8}}},
                       {"model.layers.0.mlp.up_proj", {{"bits", 8}}},
                       {"model.layers.0.mlp.down_proj", {{"mode", "mxfp8"}}}}}},
      "config.json");
  const lm::QuantPlan plan(c, {"model.layers.0.self_attn.q_proj.scales"});
  auto expect = [&](const std::string& path, int group_size, int bits, const std::string& mode) {
    SCOPED_TRACE(path);
    const auto s = plan.at(path);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->group_size, group_size);
    EXPECT_EQ(s->bits, bits);
    EXPECT_EQ(s->mode, mode);
  };
  expect("model.layers.0.mlp.gate", 64, 8, "affine");
  expect("model.layers.0.mlp.up_proj", 64, 8, "affine");
  expect("model.layers.0.mlp.down_proj", 32, 8, "mxfp8");
  expect("model.layers.0.self_attn.q_proj", 32, 4, "mxfp4");
  EXPECT_FALSE(plan.at("model.layers.0.self_attn.k_proj").has_value());
}

TEST_F(LmLoad, BadQuantizationSettingsNameTheEntry) {
  const std::string dir = copy_of("llama-4bit");
  const auto good = read_json(dir + "/config.json");
  for (auto [entry, words] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"group_size", 0}, {"bits", 4}}, "group size 0 is not supported"},
           {{{"group_size", 64}, {"bits", 9}}, "number of bits 9 is not supported"},
           {{{"group_size", -64}, {"bits", 4}}, "small non-negative integer"},
           {{{"group_size", 4294967360ll}, {"bits", 4}}, "small non-negative integer"},
           {{{"group_size", 64}, {"bits", 4}, {"mode", "int4"}}, "int4"},
           {{{"group_size", 128}, {"bits", 4}}, "not divisible by the group size 128"}}) {
    SCOPED_TRACE(entry.dump());
    auto c = good;
    c["quantization"] = entry;
    write_json(dir + "/config.json", c);
    expect_error<FormatError>(dir, {"'quantization'", words});
    c = good;
    c["quantization"]["model.layers.0.mlp.down_proj"] = entry;
    write_json(dir + "/config.json", c);
    // A group size the layer's width does not split into is found building the layer.
    expect_error<FormatError>(
        dir, {words.starts_with("not divisible") ? "'quantization'"
                                                 : "'quantization.model.layers.0.mlp.down_proj'",
              words});
  }
}

// Every config value replaced by odd ones (zero, negative, huge, fractional, wrong types):
// each load succeeds or reports one of the library's errors (FormatError, Unsupported),
// never anything else (std::invalid_argument from a layer, a JSON library exception, an
// allocation failure, a crash).
TEST_F(LmLoad, MutatedConfigsLoadOrFailCleanly) {
  const std::vector<nlohmann::json> odd = {0,
                                           -1,
                                           3,
                                           2147483647,
                                           4294967297ll,
                                           1e39,
                                           0.5,
                                           -1e-9,
                                           "x",
                                           nullptr,
                                           nlohmann::json::array({1}),
                                           nlohmann::json::array({"x"}),
                                           nlohmann::json::array({-1, 99}),
                                           nlohmann::json::object({{"a", 1}})};
  for (const char* folder : {"llama-4bit", "qwen3_moe", "lfm2", "gemma3_text", "phi3"}) {
    const std::string dir = copy_of(folder);
    const auto good = read_json(dir + "/config.json");
    // Paths to mutate: each top-level key, and each key of a nested object.
    std::vector<std::vector<std::string>> paths;
    for (const auto& [k, v] : good.items()) {
      paths.push_back({k});
      if (v.is_object()) {
        for (const auto& [k2, v2] : v.items()) {
          paths.push_back({k, k2});
        }
      }
    }
    for (const auto& path : paths) {
      for (const auto& value : odd) {
        auto c = good;
        (path.size() == 1 ? c[path[0]] : c[path[0]][path[1]]) = value;
        write_json(dir + "/config.json", c);
        SCOPED_TRACE(std::string(folder) + ": " + path.back() + " = " + value.dump());
        try {
          lm::load(dir);
        } catch (const Error&) {
        } catch (const std::exception& e) {
          ADD_FAILURE() << "unexpected " << typeid(e).name() << ": " << e.what();
        }
      }
    }
  }
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
  expect_error<IoError>(dir, {"model-00002-of-00002.safetensors"});
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

// Hugging Face (and older mlx-community) MoE checkpoints store each expert's projections
// apart, quantized ones with their own scales and biases: sanitize stacks them before the
// plan looks for "<layer>.scales", as mlx-lm's load_model does. The logits equal the stacked
// folder's, bit for bit.
TEST_F(LmLoad, PerExpertCheckpointsLoadFloatAndQuantized) {
  struct Layout {
    std::string folder, block;
    std::vector<std::pair<std::string, std::string>> names;  // stacked -> per expert
  };
  const std::vector<std::pair<std::string, std::string>> same = {
      {"gate_proj", "gate_proj"}, {"up_proj", "up_proj"}, {"down_proj", "down_proj"}};
  const std::vector<Layout> layouts = {
      {"mixtral",
       "block_sparse_moe",
       {{"gate_proj", "w1"}, {"down_proj", "w2"}, {"up_proj", "w3"}}},
      {"mixtral-4bit",
       "block_sparse_moe",
       {{"gate_proj", "w1"}, {"down_proj", "w2"}, {"up_proj", "w3"}}},
      {"qwen3_moe", "mlp", same},
      {"qwen3_moe-4bit", "mlp", same}};
  for (const auto& l : layouts) {
    SCOPED_TRACE(l.folder);
    const std::string dir = copy_of(l.folder);
    auto [w, meta] = load_safetensors(dir + "/model.safetensors");
    std::unordered_map<std::string, array> split;
    int moved = 0;
    for (const auto& [name, a] : w) {
      std::string to;
      const std::string at = "." + l.block + ".switch_mlp.";
      const auto i = name.find(at);
      for (const auto& [stacked, own] : l.names) {
        if (i != std::string::npos &&
            name.compare(i + at.size(), stacked.size() + 1, stacked + ".") == 0) {
          to = own;
        }
      }
      if (to.empty()) {
        split.insert_or_assign(name, a);
        continue;
      }
      const std::string kind = name.substr(name.rfind('.') + 1);  // weight, scales, biases
      for (int e = 0; e < a.shape(0); ++e) {
        split.insert_or_assign(name.substr(0, i) + "." + l.block + ".experts." + std::to_string(e) +
                                   "." + to + "." + kind,
                               take(a, e, 0));
      }
      ++moved;
    }
    ASSERT_GT(moved, 0);
    fs::remove(dir + "/model.safetensors.index.json");
    save_safetensors(dir + "/model.safetensors", split, meta);
    EXPECT_TRUE(same_logits(dir, l.folder));
    if (l.folder == "qwen3_moe") {  // experts that cannot be stacked name the checkpoint
      split.insert_or_assign("model.layers.0.mlp.experts.1.gate_proj.weight", zeros({3, 5}));
      save_safetensors(dir + "/model.safetensors", split, meta);
      expect_error<FormatError>(dir, {"the checkpoint's tensors"});
    }
  }
}

// Without tie_word_embeddings in the config, an lm_head the checkpoint holds is the output
// head (it was dropped for the embedding before); without one, the embedding is.
TEST_F(LmLoad, AbsentTieSettingFollowsTheCheckpoint) {
  for (const std::string folder : {"qwen3_moe", "llama"}) {
    SCOPED_TRACE(folder);
    const std::string dir = copy_of(folder);
    auto c = read_json(dir + "/config.json");
    c.erase("tie_word_embeddings");
    write_json(dir + "/config.json", c);
    EXPECT_TRUE(same_logits(dir, folder));
  }
}

// As mlx-lm, a Qwen3-MoE without experts is dense in every layer: Qwen3's own weights run
// under model_type qwen3_moe with num_experts 0 and give Qwen3's logits.
TEST_F(LmLoad, Qwen3MoeWithoutExpertsIsDense) {
  const std::string dir = copy_of("qwen3");
  auto c = read_json(dir + "/config.json");
  c["model_type"] = "qwen3_moe";
  c["num_experts"] = 0;
  write_json(dir + "/config.json", c);
  EXPECT_TRUE(same_logits(dir, "qwen3"));
  c["num_experts"] = -1;
  write_json(dir + "/config.json", c);
  expect_error<FormatError>(dir, {"num_experts"});
}

// Llama configs may name sliding-window layers (layer_types, as mlx-lm's llama reads them):
// those layers get a rotating cache and attend over the last sliding_window keys. A window
// past the prompt changes nothing; a window of 4 changes the logits from the fifth position
// on, and decoding token by token through the caches gives the full forward's logits.
TEST_F(LmLoad, LlamaSlidingLayersFollowLayerTypes) {
  const std::string dir = copy_of("llama");
  auto c = read_json(dir + "/config.json");
  c["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention"};
  const auto ids = fixture_prompt("llama");
  const int n = int(ids.size());
  const array x(ids.begin(), {1, n}, int32);
  const array plain = prompt_logits(*lm::load(fixture("lm/llama")).model, "llama");
  c["sliding_window"] = n;
  write_json(dir + "/config.json", c);
  EXPECT_TRUE(same_logits(dir, "llama"));

  c["sliding_window"] = 4;
  write_json(dir + "/config.json", c);
  auto m = lm::load(dir);
  const array windowed = prompt_logits(*m.model, "llama");
  auto rows = [](const array& a, int from, int to) {
    return slice(a, {0, from, 0}, {1, to, a.shape(2)});
  };
  auto diff = [](const array& a, const array& b) { return max(abs(subtract(a, b))).item<float>(); };
  const float atol = 2e-4f;  // the llama folder's logits tolerance
  // Position 3 still sees all its 4 keys; position 4 is the first to lose one.
  EXPECT_LE(diff(rows(windowed, 0, 4), rows(plain, 0, 4)), atol);
  EXPECT_GT(diff(rows(windowed, 4, 5), rows(plain, 4, 5)), 1e-2f);
  lm::Cache cache = m.model->make_cache();
  EXPECT_EQ(cache[0]->class_name(), "RotatingKVCache");
  EXPECT_EQ(cache[1]->class_name(), "KVCache");
  for (int i = 0; i < n; ++i) {
    const array step = (*m.model)(slice(x, {0, i}, {1, i + 1}), &cache);
    ASSERT_LE(diff(step, rows(windowed, i, i + 1)), atol) << "position " << i;
  }

  c["layer_types"] = {"sliding_attention", "full_attention", "linear_attention"};
  write_json(dir + "/config.json", c);
  expect_error<FormatError>(dir, {"layer_types", "'linear_attention'"});
  c["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention"};
  c.erase("sliding_window");
  write_json(dir + "/config.json", c);
  expect_error<FormatError>(dir, {"sliding_window"});
}

// Gemma 3 as the hub publishes its larger models: model_type "gemma3", the text model's
// settings in text_config and its tensors under "language_model.", beside a vision tower
// and projector (dropped, as mlx-lm's gemma3 does). The gemma3_text fixtures rewrapped so,
// float and 4-bit (with a per-layer quantization entry under the prefix), give their own
// logits bit for bit.
TEST_F(LmLoad, MultimodalGemma3RunsItsTextModel) {
  for (const std::string folder : {"gemma3_text", "gemma3_text-4bit"}) {
    SCOPED_TRACE(folder);
    const std::string dir = copy_of(folder);
    auto text = read_json(dir + "/config.json");
    nlohmann::json c = {{"model_type", "gemma3"}, {"vocab_size", text["vocab_size"]}};
    for (const char* key : {"quantization", "eos_token_id", "bos_token_id"}) {
      if (text.contains(key)) {
        c[key] = text[key];
        text.erase(key);
      }
    }
    text.erase("quantization_config");
    c["text_config"] = text;
    auto [w, meta] = load_safetensors(dir + "/model.safetensors");
    std::unordered_map<std::string, array> wrapped;
    for (const auto& [name, a] : w) {
      wrapped.insert_or_assign("language_model." + name, a);
    }
    wrapped.insert_or_assign("vision_tower.encoder.layers.0.weight", zeros({2, 2}));
    wrapped.insert_or_assign("multi_modal_projector.mm_input_projection_weight", zeros({2}));
    if (c.contains("quantization")) {  // as stored: model.layers.0.mlp.down_proj is 4-bit
      c["quantization"]["language_model.model.layers.0.mlp.down_proj"] = {{"group_size", 64},
                                                                          {"bits", 4}};
    }
    write_json(dir + "/config.json", c);
    fs::remove(dir + "/model.safetensors.index.json");
    save_safetensors(dir + "/model.safetensors", wrapped, meta);
    const auto want = lm::load(fixture("lm/" + folder));
    const auto got = lm::load(dir);
    EXPECT_EQ(got.model_type, "gemma3");
    EXPECT_EQ(got.model->num_parameters(), want.model->num_parameters());
    EXPECT_TRUE(array_equal(prompt_logits(*got.model, folder), prompt_logits(*want.model, folder))
                    .item<bool>());
    EXPECT_EQ(got.model->make_cache()[0]->class_name(), "RotatingKVCache");
    // The entry is read under the prefix: 8 bits there contradicts the stored 4-bit layer.
    if (c.contains("quantization")) {
      c["quantization"]["language_model.model.layers.0.mlp.down_proj"]["bits"] = 8;
      write_json(dir + "/config.json", c);
      expect_error<FormatError>(dir, {"language_model.model.layers.0.mlp.down_proj.weight"});
    }
  }
  const std::string dir = path("gemma3_text");  // the copy made above
  write_json(dir + "/config.json", {{"model_type", "gemma3"}, {"text_config", 3}});
  expect_error<FormatError>(dir, {"text_config"});
}

}  // namespace
}  // namespace mlxcpp::test
