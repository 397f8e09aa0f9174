// Chat sessions: prompts rendered with the model's template, the cache kept across turns
// (only new tokens prefilled) with replies equal to generating from the whole
// conversation afresh.
#include <gtest/gtest.h>

#include "mlxcpp/lm/chat.h"
#include "model_folder_test.h"
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

const lm::LoadedModel& qwen3() {
  static const lm::LoadedModel m = lm::load(fixture("lm/qwen3"));
  return m;
}

TEST(Chat, PromptIsTheTemplateRenderedAndEncoded) {
  auto& m = qwen3();
  const nlohmann::ordered_json messages = {
      {{"role", "user"}, {"content", "Hello, how are you today? Please tell me a story."}}};
  // The fixture's prompt is exactly this conversation in its ChatML template.
  const auto golden = fixture_prompt("qwen3");
  EXPECT_EQ(lm::encode_messages(m, messages), golden);
  lm::PromptOptions raw;
  raw.use_chat_template = false;
  const auto plain = m.tokenizer->encode("Hello, how are you today? Please tell me a story.", true);
  EXPECT_EQ(lm::encode_messages(m, messages, raw), std::vector<int>(plain.begin(), plain.end()));
  // Without the template a system message is left out, as mlx_lm.generate leaves it.
  nlohmann::ordered_json with_system = messages;
  with_system.insert(with_system.begin(),
                     nlohmann::ordered_json{{"role", "system"}, {"content", "Be brief."}});
  EXPECT_EQ(lm::encode_messages(m, with_system, raw), std::vector<int>(plain.begin(), plain.end()));
  EXPECT_THROW(lm::encode_messages(m, nlohmann::ordered_json::array({"hi"}), raw),
               std::invalid_argument);
  EXPECT_THROW(lm::encode_messages(m,
                                   nlohmann::ordered_json::array(
                                       {nlohmann::ordered_json{{"role", 1}, {"content", "hi"}}}),
                                   raw),
               std::invalid_argument);
}

// Each turn samples from its own stream (mlx-lm's continues across turns): the first turn
// with the seed itself, the next with the seed mixed with its number, so the same question
// after /reset is not answered from the same random numbers. A failed turn uses no number.
TEST(Chat, EachTurnSamplesFromItsOwnStream) {
  auto& m = qwen3();
  lm::GenerationOptions o;
  o.max_tokens = 12;
  o.sampler.temp = 1.5f;
  o.sampler.seed = 5;
  lm::ChatSession chat(m);
  const auto first = chat.send("Hello there", o);
  chat.reset();
  lm::GenerationOptions bad = o;
  bad.logits.logit_bias = {{100000, 1.0f}};  // outside the vocabulary of 512
  EXPECT_THROW(chat.send("Hello there", bad), std::invalid_argument);
  const auto second = chat.send("Hello there", o);
  const auto prompt = lm::encode_messages(m, {{{"role", "user"}, {"content", "Hello there"}}});
  auto ids = [](const lm::GenerationResult& r) {
    std::vector<int> out;
    for (const auto& t : r.tokens) {
      out.push_back(t.token);
    }
    return out;
  };
  EXPECT_EQ(ids(first), ids(lm::generate(m, prompt, o)));
  o.sampler.seed = 5 ^ 0x9E3779B97F4A7C15ull;
  EXPECT_EQ(ids(second), ids(lm::generate(m, prompt, o)));
  EXPECT_NE(ids(first), ids(second));
}

TEST(Chat, KeepsTheCacheAcrossTurnsAndMatchesAFreshRun) {
  auto& m = qwen3();
  lm::GenerationOptions o;
  o.max_tokens = 12;
  lm::ChatSession chat(m, "Be brief.");
  const auto r1 = chat.send("Hello there", o);
  const int first_prefill = chat.last_prefill_tokens();
  const auto r2 = chat.send("Tell me more", o);
  ASSERT_EQ(chat.messages().size(), 5u);  // system, user, assistant, user, assistant
  EXPECT_EQ(chat.messages()[2]["content"], r1.text);
  EXPECT_EQ(chat.messages()[4]["content"], r2.text);
  // The second turn prefilled only what follows the cached part of the conversation.
  nlohmann::ordered_json convo = chat.messages();
  convo.erase(4);
  const auto full = lm::encode_messages(m, convo);
  EXPECT_EQ(first_prefill, int(lm::encode_messages(m, {convo[0], convo[1]}).size()));
  // The cache held turn 1's prompt and every reply token but the last (never fed back); the
  // second turn prefilled exactly what of the conversation follows their common start.
  std::vector<int> cached = lm::encode_messages(m, {convo[0], convo[1]});
  for (size_t i = 0; i + 1 < r1.tokens.size(); ++i) {
    cached.push_back(r1.tokens[i].token);
  }
  size_t common = 0;
  while (common < cached.size() && common < full.size() && cached[common] == full[common]) {
    ++common;
  }
  EXPECT_GT(common, size_t(first_prefill));
  EXPECT_EQ(chat.last_prefill_tokens(), int(full.size() - common));
  // The same reply as generating from the whole conversation with a fresh cache.
  const auto fresh = lm::generate(m, full, o);
  ASSERT_EQ(fresh.tokens.size(), r2.tokens.size());
  for (size_t i = 0; i < fresh.tokens.size(); ++i) {
    EXPECT_EQ(fresh.tokens[i].token, r2.tokens[i].token) << i;
  }
  EXPECT_EQ(fresh.text, r2.text);
  chat.reset();
  EXPECT_EQ(chat.messages().size(), 1u);
}

// A reply from the whole conversation `convo` (ending in a user message) with a fresh cache.
lm::GenerationResult fresh_reply(const nlohmann::ordered_json& convo,
                                 const lm::GenerationOptions& o) {
  return lm::generate(qwen3(), lm::encode_messages(qwen3(), convo), o);
}

std::vector<int> ids(const lm::GenerationResult& r) {
  std::vector<int> out;
  for (const auto& t : r.tokens) {
    out.push_back(t.token);
  }
  return out;
}

TEST(Chat, ATurnThatGeneratesNothingLeavesTheCacheInStep) {
  auto& m = qwen3();
  lm::GenerationOptions none;
  none.max_tokens = 0;
  lm::ChatSession chat(m, "Be brief.");
  EXPECT_TRUE(chat.send("Hello there", none).tokens.empty());
  lm::GenerationOptions o;
  o.max_tokens = 8;
  const auto r = chat.send("Tell me more", o);
  // Nothing was prefilled in the first turn, so the second one prefills everything.
  nlohmann::ordered_json convo = chat.messages();
  convo.erase(4);
  EXPECT_EQ(chat.last_prefill_tokens(), int(lm::encode_messages(m, convo).size()));
  EXPECT_EQ(ids(r), ids(fresh_reply(convo, o)));
}

TEST(Chat, AFailedTurnLosesNothing) {
  auto& m = qwen3();
  lm::GenerationOptions o;
  o.max_tokens = 6;
  lm::ChatSession chat(m, "Be brief.");
  chat.send("Hello there", o);
  const auto before = chat.messages();
  lm::GenerationOptions bad = o;
  bad.logits.logit_bias = {{100000, 1.0f}};  // outside the vocabulary of 512
  EXPECT_THROW(chat.send("Tell me more", bad), std::invalid_argument);
  EXPECT_EQ(chat.messages(), before);
  // A text callback that throws on the third segment stops the turn after tokens were fed
  // back to the cache.
  lm::GenerationOptions longer = o;
  longer.max_tokens = 20;
  int calls = 0;
  EXPECT_THROW(chat.send("Tell me more", longer,
                         [&](const std::string&, const lm::GeneratedToken&) {
                           if (++calls == 3) {
                             throw std::runtime_error("stop");
                           }
                         }),
               std::runtime_error);
  EXPECT_EQ(chat.messages(), before);
  const auto r = chat.send("Tell me more", o);
  nlohmann::ordered_json convo = chat.messages();
  convo.erase(4);
  EXPECT_EQ(ids(r), ids(fresh_reply(convo, o)));
}

}  // namespace
}  // namespace mlxcpp::test
