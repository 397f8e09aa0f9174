// nn::quantize on the float fixture models: the quantized model has, name for name and
// bit for bit, the weights mlx-lm's quantize_model wrote into the matching quantized
// folder (made from the same float weights), and computes that folder's golden logits.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

#include "mlxcpp/lm/load.h"
#include "mlxcpp/mlxcpp.h"
#include "mlxcpp/nn/layers.h"
#include "mlxcpp/nn/quantize.h"
#include "model_folder_test.h"
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

struct Pair {
  std::string float_folder;
  std::string quant_folder;
  int group_size;
  int bits;
};

// The quantized folders whose README says they hold the float folder's weights quantized.
const std::vector<Pair> kPairs = {
    {"llama", "llama-4bit", 64, 4},     {"mistral", "mistral-4bit", 32, 4},
    {"mixtral", "mixtral-4bit", 32, 4}, {"phi3", "phi3-4bit", 64, 4},
    {"qwen3", "qwen3-4bit", 32, 4},     {"qwen3", "qwen3-8bit", 64, 8},
};

std::map<std::string, array> folder_weights(const std::string& folder) {
  auto [weights, meta] = load_safetensors(fixture("lm/" + folder + "/model.safetensors"));
  return {weights.begin(), weights.end()};
}

void expect_same_weights(const nn::Module& model, const std::string& quant_folder) {
  const auto want = folder_weights(quant_folder);
  std::map<std::string, array> got;
  for (const auto& [name, a] : model.parameters()) {
    got.emplace(name, *a);
  }
  std::vector<std::string> want_names, got_names;
  for (const auto& kv : want) {
    want_names.push_back(kv.first);
  }
  for (const auto& kv : got) {
    got_names.push_back(kv.first);
  }
  ASSERT_EQ(got_names, want_names) << quant_folder;
  for (const auto& [name, w] : want) {
    const array& g = got.at(name);
    ASSERT_EQ(g.dtype(), w.dtype()) << quant_folder << " " << name;
    ASSERT_EQ(g.shape(), w.shape()) << quant_folder << " " << name;
    EXPECT_TRUE(array_equal(g, w).item<bool>()) << quant_folder << " " << name;
  }
}

double max_abs_diff(const array& a, const array& b) {
  array d = max(abs(subtract(a, b)));
  d.eval();
  return d.item<float>();
}

array golden_logits(const lm::LoadedModel& m, const std::string& folder) {
  const auto ids = fixture_prompt(folder);
  return squeeze((*m.model)(array(ids.begin(), {1, int(ids.size())}, int32), nullptr), 0);
}

double folder_atol(const std::string& folder) {
  const auto index = read_json(fixture("lm/index.json"));
  for (const auto& m : index["models"]) {
    if (m["folder"] == folder) {
      return m["logits_atol"].get<double>();
    }
  }
  ADD_FAILURE() << "no index entry for " << folder;
  return 0;
}

TEST(NnQuantize, FloatModelBecomesMlxLmsQuantizedFolder) {
  for (const auto& p : kPairs) {
    auto m = lm::load(fixture("lm/" + p.float_folder));
    nn::quantize(*m.model, p.group_size, p.bits);
    expect_same_weights(*m.model, p.quant_folder);
    const array want = load(fixture("lm/" + p.quant_folder + "/golden/logits.npy"));
    EXPECT_LE(max_abs_diff(golden_logits(m, p.quant_folder), want), folder_atol(p.quant_folder))
        << p.quant_folder;
  }
}

// mlx-lm's get_total_parameters: a quantized model counts the values its float model has
// (qwen3_moe-4bit mixes 4-bit experts with an 8-bit router; mxfp4 has no biases).
TEST(NnQuantize, LogicalParameterCountIsTheFloatModels) {
  for (const std::string folder : {"llama", "mistral", "mixtral", "phi3", "qwen2", "qwen3",
                                   "qwen3_moe", "gemma2", "gemma3_text", "lfm2"}) {
    const size_t want = lm::load(fixture("lm/" + folder)).model->num_parameters();
    EXPECT_EQ(lm::load(fixture("lm/" + folder)).model->num_logical_parameters(), want) << folder;
    const auto q = lm::load(fixture("lm/" + folder + "-4bit"));
    EXPECT_LT(q.model->num_parameters(), want) << folder;
    EXPECT_EQ(q.model->num_logical_parameters(), want) << folder << "-4bit";
  }
  const size_t llama = lm::load(fixture("lm/llama")).model->num_parameters();
  EXPECT_EQ(lm::load(fixture("lm/llama-8bit")).model->num_logical_parameters(), llama);
  for (const auto& [mode, bits] : {std::pair<std::string, int>{"mxfp4", 4}, {"affine", 3}}) {
    auto m = lm::load(fixture("lm/llama"));
    nn::quantize(*m.model, mode == "mxfp4" ? 32 : 64, bits, mode);
    EXPECT_EQ(m.model->num_logical_parameters(), llama) << mode << " " << bits;
  }
}

// qwen3_moe's quant_predicate gives the router 8 bits: as mlx.nn.quantize, a predicate picks
// layers (true / false) or gives a layer its own settings (a QuantSpec), in one pass.
TEST(NnQuantize, PredicatesPickLayersAndSpecs) {
  auto m = lm::load(fixture("lm/qwen3_moe"));
  nn::quantize(*m.model, 64, 4, "affine",
               [](const std::string& path, const nn::Module&) -> std::variant<bool, nn::QuantSpec> {
                 if (path.ends_with("mlp.gate")) {
                   return nn::QuantSpec{64, 8, "affine"};
                 }
                 return !path.ends_with("norm");
               });
  expect_same_weights(*m.model, "qwen3_moe-4bit");
  const array want = load(fixture("lm/qwen3_moe-4bit/golden/logits.npy"));
  EXPECT_LE(max_abs_diff(golden_logits(m, "qwen3_moe-4bit"), want), folder_atol("qwen3_moe-4bit"));
  // A spec the format does not have names the layer.
  auto f = lm::load(fixture("lm/llama"));
  EXPECT_THROW(
      nn::quantize(*f.model, 64, 4, "affine",
                   [](const std::string&, const nn::Module&) -> std::variant<bool, nn::QuantSpec> {
                     return nn::QuantSpec{48, 4, "affine"};
                   }),
      std::invalid_argument);
}

TEST(NnQuantize, BadSpecsThrowAndLeaveTheModelAsItWas) {
  auto m = lm::load(fixture("lm/llama"));
  const auto names_before = [&] {
    std::vector<std::string> n;
    for (const auto& [name, a] : m.model->parameters()) {
      n.push_back(name);
    }
    return n;
  };
  const auto original = names_before();
  // Rows of 64 (hidden): no group of 128 fits.
  try {
    nn::quantize(*m.model, 128, 4);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Cannot quantize 'model."), std::string::npos) << e.what();
  }
  EXPECT_THROW(nn::quantize(*m.model, 64, 7), std::invalid_argument);
  EXPECT_THROW(nn::quantize(*m.model, 64, 4, "int4"), std::invalid_argument);
  // A predicate that picks a layer without a quantized form (the final norm), after the
  // embedding and every projection were planned.
  try {
    nn::quantize(*m.model, 64, 4, "affine",
                 [](const std::string&, const nn::Module&) { return true; });
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("has no quantized form"), std::string::npos) << e.what();
  }
  // replace_modules refuses a module that does not implement the slot's layer.
  EXPECT_THROW(m.model->replace_modules(
                   [](const std::string& path, const nn::Module&) -> std::unique_ptr<nn::Module> {
                     if (path.ends_with("q_proj")) {
                       return std::make_unique<nn::RMSNorm>(64, 1e-5f);
                     }
                     return nullptr;
                   }),
               std::invalid_argument);
  EXPECT_EQ(names_before(), original);
  for (const auto& [name, a] : m.model->parameters()) {
    EXPECT_EQ(a->dtype(), float32) << name;
  }
  // Still the float model.
  const array want = load(fixture("lm/llama/golden/logits.npy"));
  EXPECT_LE(max_abs_diff(golden_logits(m, "llama"), want), folder_atol("llama"));
}

// A quantized [out, 128] layer with random weights (and a random bias when asked).
std::unique_ptr<nn::LinearLayer> random_quantized_linear(int out, bool bias, int bits, int seed) {
  nn::Linear lin(128, out, bias);
  lin.weight = random::normal({out, 128}, float32, random::key(seed));
  if (bias) {
    *lin.bias = random::normal({out}, float32, random::key(seed + 1));
  }
  std::unique_ptr<nn::Module> q = lin.to_quantized({64, bits, "affine"});
  if (dynamic_cast<nn::LinearLayer*>(q.get()) == nullptr) {
    throw std::logic_error("to_quantized did not make a linear layer");
  }
  return std::unique_ptr<nn::LinearLayer>(static_cast<nn::LinearLayer*>(q.release()));
}

// As MLX's quantize, rows must split into whole groups: no layer with rounded-down shapes.
TEST(NnLinear, QuantizedLayersNeedWholeGroups) {
  EXPECT_THROW(nn::QuantizedLinear(100, 8, false, nn::QuantSpec{64, 4, "affine"}),
               std::invalid_argument);
  EXPECT_THROW(nn::QuantizedLinear(64, 8, false, nn::QuantSpec{0, 4, "affine"}),
               std::invalid_argument);
  EXPECT_NO_THROW(nn::QuantizedLinear(128, 8, false, nn::QuantSpec{64, 4, "affine"}));
}

// A layer's projections in one quantized_matmul_many give each layer's own values; layers
// that cannot share one (another format, a float layer) run one by one.
TEST(NnLinear, ApplyLinearsEqualsEachLayer) {
  const auto q = random_quantized_linear(48, true, 4, 10);
  const auto k = random_quantized_linear(16, false, 4, 20);
  const auto v = random_quantized_linear(24, false, 4, 30);
  const auto other_bits = random_quantized_linear(16, false, 8, 40);
  nn::Linear plain(128, 8, false);
  plain.weight = random::normal({8, 128}, float32, random::key(50));
  const array x = random::normal({1, 3, 128}, float32, random::key(60));
  // k with bfloat16 biases: its result has another dtype, so it cannot share one call.
  auto k_bf16_biases = random_quantized_linear(16, false, 4, 20);
  auto& kb = static_cast<nn::QuantizedLinear&>(*k_bf16_biases);
  kb.biases = astype(*kb.biases, bfloat16);
  // A subclass computes something else: it must run as itself.
  struct Doubled : nn::QuantizedLinear {
    using nn::QuantizedLinear::QuantizedLinear;
    array operator()(const array& in) const override {
      return multiply(nn::QuantizedLinear::operator()(in), array(2.0f));
    }
  };
  Doubled doubled(128, 16, false, {64, 4, "affine"});
  const auto& kq = static_cast<const nn::QuantizedLinear&>(*k);
  doubled.weight = kq.weight;
  doubled.scales = kq.scales;
  doubled.biases = kq.biases;
  const std::vector<std::vector<const nn::LinearLayer*>> groups = {{q.get(), k.get(), v.get()},
                                                                   {k.get(), other_bits.get()},
                                                                   {&plain, k.get()},
                                                                   {k.get(), k_bf16_biases.get()},
                                                                   {k.get(), &doubled}};
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto outs = nn::apply_linears(groups[g], x);
    ASSERT_EQ(outs.size(), groups[g].size());
    // Only the first group shares one matmul (k's output comes straight from it).
    EXPECT_EQ(std::string(outs[g == 0 ? 1 : 0].primitive().name()) == "QuantizedMatmulMany",
              g == 0);
    for (size_t i = 0; i < outs.size(); ++i) {
      EXPECT_EQ(values<float>(outs[i]), values<float>((*groups[g][i])(x)))
          << "group " << g << " layer " << i;
    }
  }
}

}  // namespace
}  // namespace mlxcpp::test
