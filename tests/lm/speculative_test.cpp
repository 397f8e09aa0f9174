// Speculative decoding at temperature 0 gives exactly the model's own greedy continuation
// (mlx-lm's golden), whatever the draft model and the number of proposals.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mlxcpp/lm/random_weights.h"
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
      if (std::string(draft_folder) == "llama-4bit") {
        // A 4-bit copy of the model agrees with it on most greedy tokens: some proposals
        // must be accepted (none would mean verification rejects everything).
        EXPECT_GT(gen.accepted(), 0);
      }
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
    // The same model and tokens, verified in batches of rows: float rounding only.
    EXPECT_NEAR(spec.tokens[i].logprob, plain.tokens[i].logprob, 1e-4);
  }
  EXPECT_THROW(lm::generate_speculative(model, draft, prompt, o, 0), std::invalid_argument);
}

// A one-layer random draft with `vocab` rows, untied (so its argmax is not its input token).
lm::LoadedModel random_draft(int vocab) {
  return lm::random_model(
      R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 1,
          "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 128,
          "vocab_size": )" +
          std::to_string(vocab) + R"(, "tie_word_embeddings": false, "rms_norm_eps": 1e-5})",
      float32, std::nullopt, 3);
}

// The first n tokens of speculative decoding with default options.
std::vector<int> speculative_tokens(const lm::LoadedModel& model, const lm::LoadedModel& draft,
                                    const std::vector<int>& prompt, int num_draft, size_t n) {
  lm::Cache cache = model.model->make_cache();
  lm::Cache draft_cache = draft.model->make_cache();
  lm::SpeculativeGenerator gen(*model.model, cache, *draft.model, draft_cache, prompt, {},
                               num_draft);
  std::vector<int> got;
  for (size_t i = 0; i < n; ++i) {
    got.push_back(gen.next().token);
  }
  return got;
}

TEST(Speculative, ADraftWithMoreRowsProposesOnlyTheModelsIds) {
  const auto g = read_json(fixture("lm/llama/golden/greedy.json"));
  const auto prompt = g["prompt_ids"].get<std::vector<int>>();
  const auto want = g["generated_ids"].get<std::vector<int>>();
  const lm::LoadedModel model = lm::load(fixture("lm/llama"));
  // A random draft whose 2048 logits rows exceed the model's 512: unsliced, its argmax lands
  // past 511 three times in four, and the model cannot take such a token.
  EXPECT_EQ(speculative_tokens(model, random_draft(2048), prompt, 3, want.size()), want);
}

TEST(Speculative, AModelWithMoreRowsThanTheDraftFeedsItOnlyItsIds) {
  const lm::LoadedModel model = lm::load(fixture("lm/llama"));
  const std::vector<int> prompt = {108, 284, 10, 379, 44, 222, 11};  // 379: past the draft
  // The model's own greedy continuation, which leaves the draft's 300 rows.
  lm::Cache plain_cache = model.model->make_cache();
  lm::TokenGenerator plain(*model.model, plain_cache, prompt, {});
  std::vector<int> want;
  for (int i = 0; i < 24; ++i) {
    want.push_back(plain.next().token);
  }
  ASSERT_GE(*std::max_element(want.begin(), want.end()), 300);
  EXPECT_EQ(speculative_tokens(model, random_draft(300), prompt, 2, want.size()), want);
}

TEST(Speculative, BadOptionsAndCachesAreErrorsBeforeAnythingRuns) {
  const lm::LoadedModel model = lm::load(fixture("lm/qwen3"));
  const lm::LoadedModel draft = lm::load(fixture("lm/qwen3-4bit"));
  const std::vector<int> prompt = {508, 284, 10};
  lm::Cache cache = model.model->make_cache();
  lm::Cache draft_cache = draft.model->make_cache();
  auto make = [&](const lm::GenerationOptions& o, const std::vector<int>& p) {
    lm::SpeculativeGenerator gen(*model.model, cache, *draft.model, draft_cache, p, o, 2);
  };
  lm::GenerationOptions o;
  o.logits.logit_bias = {{-1, 5.0f}};
  EXPECT_THROW(make(o, prompt), std::invalid_argument);
  o = {};
  o.logits.repetition_penalty = -1.0f;
  EXPECT_THROW(make(o, prompt), std::invalid_argument);
  o = {};
  o.kv_bits = 7;
  EXPECT_THROW(make(o, prompt), std::invalid_argument);
  EXPECT_THROW(make({}, {508, 512}), std::invalid_argument);
  EXPECT_THROW(make({}, {}), std::invalid_argument);
  EXPECT_EQ(cache[0]->offset(), 0);
  EXPECT_EQ(draft_cache[0]->offset(), 0);
  // LFM2's convolution state cannot rewind: refused up front, not at the first rejection.
  const lm::LoadedModel lfm2 = lm::load(fixture("lm/lfm2"));
  lm::Cache lfm2_cache = lfm2.model->make_cache();
  lm::Cache lfm2_draft_cache = lfm2.model->make_cache();
  EXPECT_THROW(lm::SpeculativeGenerator(*lfm2.model, lfm2_cache, *lfm2.model, lfm2_draft_cache,
                                        prompt, {}, 2),
               std::invalid_argument);
  // Gemma 2's sliding-window layers (window 8 here) cannot rewind once the window has
  // filled: refused when the prompt and max_tokens (256 by default) outgrow it ...
  const lm::LoadedModel gemma2 = lm::load(fixture("lm/gemma2"));
  lm::Cache g_cache = gemma2.model->make_cache();
  lm::Cache g_draft_cache = gemma2.model->make_cache();
  EXPECT_THROW(
      lm::SpeculativeGenerator(*gemma2.model, g_cache, *gemma2.model, g_draft_cache, prompt, {}, 2),
      std::invalid_argument);
  // ... and taken, giving the model's own tokens, when the whole run fits (2 + 2 + 1 + 1 < 8).
  lm::GenerationOptions short_run;
  short_run.max_tokens = 2;
  lm::SpeculativeGenerator gen(*gemma2.model, g_cache, *gemma2.model, g_draft_cache, {508, 284},
                               short_run, 1);
  lm::Cache plain_cache = gemma2.model->make_cache();
  lm::TokenGenerator plain(*gemma2.model, plain_cache, {508, 284}, short_run);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(gen.next().token, plain.next().token) << i;
  }
}

TEST(Speculative, QuantizesBothCachesAsMlxLm) {
  const lm::LoadedModel model = lm::load(fixture("lm/qwen3"));  // head_dim 32
  const lm::LoadedModel draft = lm::load(fixture("lm/qwen3-4bit"));
  const std::vector<int> prompt = {508, 284, 10, 379, 44, 352, 311};
  lm::GenerationOptions o;
  o.kv_bits = 8;
  o.kv_group_size = 32;
  o.quantized_kv_start = 4;
  lm::Cache cache = model.model->make_cache();
  lm::Cache draft_cache = draft.model->make_cache();
  lm::SpeculativeGenerator gen(*model.model, cache, *draft.model, draft_cache, prompt, o, 3);
  lm::Cache plain_cache = model.model->make_cache();
  lm::TokenGenerator plain(*model.model, plain_cache, prompt, o);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(gen.next().token, plain.next().token) << i;
  }
  EXPECT_EQ(cache[0]->class_name(), "QuantizedKVCache");
  EXPECT_EQ(draft_cache[0]->class_name(), "QuantizedKVCache");
}

}  // namespace
}  // namespace mlxcpp::test
