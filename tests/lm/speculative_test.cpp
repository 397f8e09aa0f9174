// Speculative decoding at temperature 0 gives exactly the model's own greedy continuation
// (mlx-lm's golden), whatever the draft model and the number of proposals.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlxcpp/lm/speculative.h"
#include "model_folder_test.h"
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

TEST(Speculative, GreedyOutputIsTheModelsOwn) {
  const auto g = read_json(fixture("lm/llama/golden/greedy.json"));
  const auto prompt = g["prompt_ids"].get<std::vector<int>>();
  const auto want = g["generated_ids"].get<std::vector<int>>();
  const lm::LoadedModel model = lm::load(fixture("lm/llama"));
  for (const char* draft_folder : {"llama", "llama-4bit", "qwen2"}) {
    const lm::LoadedModel draft = lm::load(fixture(std::string("lm/") + draft_folder));
    for (int n : {1, 3, 5}) {
      SCOPED_TRACE(std::string(draft_folder) + " num_draft " + std::to_string(n));
      lm::Cache cache = model.model->make_cache();
      lm::Cache draft_cache = draft.model->make_cache();
      lm::GenerationOptions o;
      o.prefill_step_size = 7;
      lm::SpeculativeGenerator gen(*model.model, cache, *draft.model, draft_cache, prompt, o, n);
      std::vector<int> got;
      for (size_t i = 0; i < want.size(); ++i) {
        got.push_back(gen.next().token);
      }
      EXPECT_EQ(got, want);
      EXPECT_GE(gen.drafted(), int(want.size()) / (n + 1));
      EXPECT_LE(gen.accepted(), gen.drafted());
      if (std::string(draft_folder) == "llama") {
        // The model as its own draft: every proposal is accepted, so each round yields
        // n + 1 tokens.
        EXPECT_EQ(gen.accepted(), gen.drafted());
        EXPECT_EQ(gen.drafted(), n * int((want.size() + n) / (n + 1)));
      }
    }
  }
}

TEST(Speculative, TextMatchesPlainGeneration) {
  const lm::LoadedModel model = lm::load(fixture("lm/qwen3"));
  const lm::LoadedModel draft = lm::load(fixture("lm/qwen3-4bit"));
  lm::GenerationOptions o;
  o.max_tokens = 24;
  const std::vector<int> prompt = {508, 284, 10, 379, 44, 352, 311};
  const auto plain = lm::generate(model, prompt, o);
  const auto spec = lm::generate_speculative(model, draft, prompt, o, 4);
  EXPECT_EQ(spec.text, plain.text);
  ASSERT_EQ(spec.tokens.size(), plain.tokens.size());
  for (size_t i = 0; i < plain.tokens.size(); ++i) {
    EXPECT_EQ(spec.tokens[i].token, plain.tokens[i].token);
    EXPECT_NEAR(spec.tokens[i].logprob, plain.tokens[i].logprob, 1e-4);
  }
  EXPECT_THROW(lm::generate_speculative(model, draft, prompt, o, 0), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
