// Reading a model's reply: the tool calls it makes, in the format of its
// family, and the reasoning it writes between <think> and </think>.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mlxcpp {

struct ToolCall {
  std::string name;
  /** The arguments object (a string when the model wrote text that is not JSON). */
  nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
  /** The call id, when the format has one (Mistral). */
  std::string id;
};

enum class ToolCallFormat {
  Auto,     // whichever of the formats below the text uses
  Hermes,   // Qwen, Hermes: <tool_call>{"name": ..., "arguments": ...}</tool_call>
  Llama3,   // Llama 3.x: [<|python_tag|>]{"name": ..., "parameters": ...}[; {...}]
  Mistral,  // [TOOL_CALLS] [{"name": ..., "arguments": ..., "id": ...}] or
            // [TOOL_CALLS]name[ARGS]{...}
  DeepSeek,  // <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>name ```json ...
};

struct ParsedReply {
  /** The reply without its reasoning and tool-call markup. */
  std::string content;
  /** The text between <think> and </think> (empty when none). */
  std::string reasoning;
  std::vector<ToolCall> tool_calls;
};

/**
 * Splits off the reasoning: the text inside <think>...</think>, or, when the
 * reply has "</think>" but no "<think>" (the template opened it in the
 * prompt), everything before "</think>". An unclosed "<think>" makes the rest
 * reasoning. Never throws.
 */
ParsedReply extract_thinking(std::string_view text, std::string_view open = "<think>",
                             std::string_view close = "</think>");

/** The tool calls in `text` and the text around them. Calls whose JSON is
 *  malformed stay in the content. Never throws. */
ParsedReply parse_tool_calls(std::string_view text, ToolCallFormat format = ToolCallFormat::Auto);

/** extract_thinking, then parse_tool_calls on the rest. */
ParsedReply parse_reply(std::string_view text, ToolCallFormat format = ToolCallFormat::Auto);

/** The format a chat template's tool-call markup suggests (Auto when it shows none). */
ToolCallFormat tool_call_format_of_template(std::string_view chat_template);

}  // namespace mlxcpp
