// Every case of tests/fixtures/chat_templates/goldens.jsonl, rendered byte for
// byte as Python Jinja2 renders it the way transformers sets it up.
#include <cstdlib>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/chat_template.h"
#include "tokenizer/tokenizer_test_helpers.h"

namespace mlxcpp::test {
namespace {

using ojson = nlohmann::ordered_json;

std::vector<ojson> goldens() {
  std::vector<ojson> out;
  std::ifstream in(fixture("chat_templates/goldens.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      out.push_back(ojson::parse(line));
    }
  }
  return out;
}

class ChatTemplateGolden : public ::testing::Test {
 protected:
  // The goldens' clock: 2025-03-14 09:26:53 UTC.
  void SetUp() override { ::setenv("SOURCE_DATE_EPOCH", "1741944413", 1); }
  void TearDown() override { ::unsetenv("SOURCE_DATE_EPOCH"); }
};

TEST_F(ChatTemplateGolden, EveryCaseRendersAsJinja2Does) {
  const auto cases = goldens();
  ASSERT_EQ(cases.size(), 64u);
  size_t rendered = 0, raised = 0, failed = 0;
  for (const ojson& c : cases) {
    const std::string name = c["template"].get<std::string>();
    SCOPED_TRACE(name + " / " + c["conversation"].get<std::string>() +
                 (c["add_generation_prompt"].get<bool>() ? " (generation prompt)" : ""));
    const std::string source = read_text(fixture("chat_templates/templates/" + name + ".jinja"));
    ChatTemplateOptions options;
    options.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    options.tools = c["tools"];
    options.extra = c["extra_kwargs"];
    const ojson& error = c["error"];
    if (error.is_null()) {
      EXPECT_EQ(apply_chat_template(source, c["messages"], options, c["special_tokens"]),
                c["rendered"].get<std::string>());
      ++rendered;
    } else if (error["kind"] == "raise_exception") {
      try {
        apply_chat_template(source, c["messages"], options, c["special_tokens"]);
        ADD_FAILURE() << "no error; expected raise_exception";
      } catch (const jinja::RaisedError& e) {
        EXPECT_EQ(e.message(), error["message"].get<std::string>());
      }
      ++raised;
    } else {
      EXPECT_THROW(apply_chat_template(source, c["messages"], options, c["special_tokens"]),
                   TemplateError);
      ++failed;
    }
  }
  EXPECT_EQ(rendered + raised + failed, 64u);
}

// The model folder's own template and special tokens (tokenizer_config.json of the
// Qwen3 fixture holds the same template as the goldens' qwen3.jinja).
TEST_F(ChatTemplateGolden, TokenizerConfigSuppliesTemplateAndSpecialTokens) {
  const Tokenizer& qwen = fixture_tokenizer("qwen3");
  ASSERT_EQ(qwen.config().chat_template(),
            read_text(fixture("chat_templates/templates/qwen3.jinja")));
  size_t checked = 0;
  for (const ojson& c : goldens()) {
    if (c["template"] != "qwen3" || !c["error"].is_null()) {
      continue;
    }
    SCOPED_TRACE(c["conversation"].get<std::string>());
    ChatTemplateOptions options;
    options.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    options.tools = c["tools"];
    options.extra = c["extra_kwargs"];
    EXPECT_EQ(apply_chat_template(qwen, c["messages"], options), c["rendered"].get<std::string>());
    ++checked;
  }
  EXPECT_EQ(checked, 13u);
  EXPECT_THROW(apply_chat_template(fixture_tokenizer("gpt2"), ojson::array()), TemplateError);
}

TEST_F(ChatTemplateGolden, ContinueFinalMessageLeavesTheTurnOpen) {
  const ojson messages = ojson::parse(R"([{"role": "user", "content": "2+2?"},
                                          {"role": "assistant", "content": "The answer is"}])");
  const Tokenizer& qwen = fixture_tokenizer("qwen3");
  const std::string full = apply_chat_template(qwen, messages);
  ChatTemplateOptions options;
  options.continue_final_message = true;
  const std::string open = apply_chat_template(qwen, messages, options);
  EXPECT_EQ(open, full.substr(0, full.rfind("The answer is") + 13));
  EXPECT_LT(open.size(), full.size());
  options.add_generation_prompt = true;
  EXPECT_THROW(apply_chat_template(qwen, messages, options), std::invalid_argument);
  EXPECT_THROW(apply_chat_template(qwen, ojson::object()), std::invalid_argument);
}

}  // namespace
}  // namespace mlxcpp::test
