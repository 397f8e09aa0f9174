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
  EXPECT_LT(chat.last_prefill_tokens(), int(full.size()) - first_prefill + 1);
  EXPECT_GT(chat.last_prefill_tokens(), 0);
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

}  // namespace
}  // namespace mlxcpp::test
