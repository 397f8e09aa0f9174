// Tool-call and reasoning extraction on replies written in each family's
// documented format.
#include "mlxcpp/tokenizer/tool_calls.h"
#include "tokenizer/tokenizer_test_helpers.h"

namespace mlxcpp::test {
namespace {

using ojson = nlohmann::ordered_json;

TEST(ToolCalls, HermesAndQwen) {
  const std::string reply =
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
      "\"Paris\", "
      "\"unit\": \"celsius\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": "
      "{\"tz\": \"CET\"}}\n</tool_call>";
  const ParsedReply r = parse_tool_calls(reply);
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments, ojson::parse(R"({"city": "Paris", "unit": "celsius"})"));
  EXPECT_EQ(r.tool_calls[1].name, "get_time");
  EXPECT_EQ(r.tool_calls[1].arguments, ojson::parse(R"({"tz": "CET"})"));
  EXPECT_EQ(r.content, "Let me check.");
  EXPECT_EQ(parse_tool_calls(reply, ToolCallFormat::Hermes).tool_calls.size(), 2u);
}

TEST(ToolCalls, QwenTemplateRenderingOfAToolCallParsesBack) {
  // The Qwen3 golden renders the conversation's assistant tool call; parsing the
  // rendered turn gives back the call the conversation holds.
  for (const json& c : read_jsonl(fixture("chat_templates/goldens.jsonl"))) {
    if (c["template"] != "qwen3" || c["conversation"] != "tool_call_pending") {
      continue;
    }
    const std::string rendered = c["rendered"];
    // The last one: the system prompt shows the format with a placeholder first.
    const size_t first_call = rendered.rfind("<tool_call>");
    ASSERT_NE(first_call, std::string::npos);
    const std::string body =
        rendered.substr(first_call, rendered.find("<|im_end|>", first_call) - first_call);
    const ParsedReply r = parse_tool_calls(body);
    json expected;
    for (const json& m : c["messages"]) {
      if (m.contains("tool_calls")) {
        expected = m["tool_calls"];
      }
    }
    ASSERT_EQ(r.tool_calls.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(r.tool_calls[i].name, expected[i]["function"]["name"].get<std::string>());
      EXPECT_EQ(r.tool_calls[i].arguments.dump(), expected[i]["function"]["arguments"].dump());
    }
    return;
  }
  FAIL() << "the qwen3 tool_call_pending golden is missing";
}

TEST(ToolCalls, Llama3Json) {
  const ParsedReply a =
      parse_tool_calls(R"({"name": "get_weather", "parameters": {"city": "Paris"}})");
  ASSERT_EQ(a.tool_calls.size(), 1u);
  EXPECT_EQ(a.tool_calls[0].name, "get_weather");
  EXPECT_EQ(a.tool_calls[0].arguments, ojson::parse(R"({"city": "Paris"})"));
  EXPECT_EQ(a.content, "");

  const ParsedReply b = parse_tool_calls(
      "<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": "
      "{\"x\": 1}}");
  ASSERT_EQ(b.tool_calls.size(), 2u);
  EXPECT_EQ(b.tool_calls[1].name, "b");
  EXPECT_EQ(b.tool_calls[1].arguments["x"], 1);

  // Plain JSON that is not a call stays text.
  const ParsedReply c = parse_tool_calls(R"({"answer": 42})", ToolCallFormat::Llama3);
  EXPECT_TRUE(c.tool_calls.empty());
  EXPECT_EQ(c.content, R"({"answer": 42})");
}

TEST(ToolCalls, Mistral) {
  const ParsedReply v3 = parse_tool_calls(
      R"([TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "abcDEF123"}])");
  ASSERT_EQ(v3.tool_calls.size(), 1u);
  EXPECT_EQ(v3.tool_calls[0].name, "get_weather");
  EXPECT_EQ(v3.tool_calls[0].id, "abcDEF123");
  EXPECT_EQ(v3.tool_calls[0].arguments, ojson::parse(R"({"city": "Paris"})"));

  const ParsedReply v11 = parse_tool_calls(
      R"(Sure.[TOOL_CALLS]get_weather[ARGS]{"city": "Rome"}[TOOL_CALLS]get_time[ARGS]{})");
  ASSERT_EQ(v11.tool_calls.size(), 2u);
  EXPECT_EQ(v11.tool_calls[0].name, "get_weather");
  EXPECT_EQ(v11.tool_calls[0].arguments, ojson::parse(R"({"city": "Rome"})"));
  EXPECT_EQ(v11.tool_calls[1].name, "get_time");
  EXPECT_EQ(v11.content, "Sure.");
}

TEST(ToolCalls, DeepSeek) {
  const std::string reply =
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n"
      "{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>"
      "get_time\n```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
  const ParsedReply r = parse_tool_calls(reply);
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments, ojson::parse(R"({"city": "Paris"})"));
  EXPECT_EQ(r.tool_calls[1].name, "get_time");
  EXPECT_EQ(r.content, "");
}

TEST(ToolCalls, MalformedCallsStayText) {
  const std::string broken = "x <tool_call>{\"name\": \"f\", \"arguments\": {</tool_call> y";
  const ParsedReply r = parse_tool_calls(broken);
  EXPECT_TRUE(r.tool_calls.empty());
  EXPECT_EQ(r.content, broken);
  EXPECT_TRUE(parse_tool_calls("[TOOL_CALLS] not json").tool_calls.empty());
  EXPECT_TRUE(parse_tool_calls("<｜tool▁calls▁begin｜>garbage").tool_calls.empty());
  EXPECT_EQ(parse_tool_calls("just text").content, "just text");
  // Arguments given as a JSON string are read as the object they hold.
  const ParsedReply s = parse_tool_calls(
      "<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}</tool_call>");
  ASSERT_EQ(s.tool_calls.size(), 1u);
  EXPECT_EQ(s.tool_calls[0].arguments, ojson::parse(R"({"a": 1})"));
}

TEST(Thinking, ExtractsTheReasoningBlock) {
  const ParsedReply a = extract_thinking("<think>\nFirst, add.\n</think>\n\nThe answer is 4.");
  EXPECT_EQ(a.reasoning, "First, add.");
  EXPECT_EQ(a.content, "The answer is 4.");
  // The template opened <think> in the prompt (DeepSeek-R1, Qwen3).
  const ParsedReply b = extract_thinking("Hmm, 2+2.\n</think>\n\n4");
  EXPECT_EQ(b.reasoning, "Hmm, 2+2.");
  EXPECT_EQ(b.content, "4");
  // Still thinking: no content yet.
  const ParsedReply c = extract_thinking("<think>\nworking");
  EXPECT_EQ(c.reasoning, "working");
  EXPECT_EQ(c.content, "");
  const ParsedReply d = extract_thinking("no reasoning here");
  EXPECT_EQ(d.reasoning, "");
  EXPECT_EQ(d.content, "no reasoning here");
  // Reasoning, then a call.
  const ParsedReply e = parse_reply(
      "<think>need weather</think>\n<tool_call>\n{\"name\": \"w\", \"arguments\": "
      "{}}\n</tool_call>");
  EXPECT_EQ(e.reasoning, "need weather");
  ASSERT_EQ(e.tool_calls.size(), 1u);
  EXPECT_EQ(e.tool_calls[0].name, "w");
  EXPECT_EQ(e.content, "");
}

TEST(ToolCalls, FormatOfTemplates) {
  EXPECT_EQ(
      tool_call_format_of_template(read_text(fixture("chat_templates/templates/qwen3.jinja"))),
      ToolCallFormat::Hermes);
  EXPECT_EQ(tool_call_format_of_template(
                read_text(fixture("chat_templates/templates/deepseek-r1.jinja"))),
            ToolCallFormat::DeepSeek);
  EXPECT_EQ(tool_call_format_of_template(read_text(fixture("chat_templates/templates/phi3.jinja"))),
            ToolCallFormat::Auto);
}

}  // namespace
}  // namespace mlxcpp::test
