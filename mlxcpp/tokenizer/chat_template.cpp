#include "mlxcpp/tokenizer/chat_template.h"

#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/jinja/template.h"

namespace mlxcpp {

namespace {

// The text of the last message's content (the last text part of a list of parts).
std::string final_content(const nlohmann::ordered_json& messages) {
  const auto& last = messages.back();
  if (!last.is_object() || !last.contains("content")) {
    throw std::invalid_argument(
        "[apply_chat_template] continue_final_message needs a final "
        "message with content");
  }
  const auto& c = last["content"];
  if (c.is_string()) {
    return c.get<std::string>();
  }
  if (c.is_array() && !c.empty() && c.back().is_object() && c.back().contains("text") &&
      c.back()["text"].is_string()) {
    return c.back()["text"].get<std::string>();
  }
  throw std::invalid_argument(
      "[apply_chat_template] continue_final_message: the final message's "
      "content is not text");
}

// Cuts the rendering right after the final message's content, as transformers does.
std::string cut_after_final(std::string rendered, const nlohmann::ordered_json& messages) {
  std::string content = final_content(messages);
  size_t at = rendered.rfind(content);
  if (at == std::string::npos) {
    const size_t b = content.find_first_not_of(" \t\n\r\f\v");
    const size_t e = content.find_last_not_of(" \t\n\r\f\v");
    content = b == std::string::npos ? std::string() : content.substr(b, e - b + 1);
    at = rendered.rfind(content);
    if (at == std::string::npos) {
      throw TemplateError(
          "[apply_chat_template] continue_final_message is set but the final "
          "message does not appear in the rendered chat");
    }
  }
  rendered.resize(at + content.size());
  return rendered;
}

}  // namespace

nlohmann::ordered_json special_token_variables(const TokenizerConfig& config) {
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  for (const auto& [role, token] : config.special_tokens) {
    vars[role] = token;
  }
  if (!config.additional_special_tokens.empty()) {
    vars["additional_special_tokens"] = config.additional_special_tokens;
  }
  return vars;
}

std::string apply_chat_template(std::string_view template_source,
                                const nlohmann::ordered_json& messages,
                                const ChatTemplateOptions& options,
                                const nlohmann::ordered_json& special_tokens) {
  if (!messages.is_array()) {
    throw std::invalid_argument("[apply_chat_template] messages must be a JSON list, got " +
                                std::string(messages.type_name()));
  }
  if (options.continue_final_message && options.add_generation_prompt) {
    throw std::invalid_argument(
        "[apply_chat_template] continue_final_message and "
        "add_generation_prompt cannot both be set");
  }
  if (options.continue_final_message && messages.empty()) {
    throw std::invalid_argument("[apply_chat_template] continue_final_message needs a message");
  }
  if (!options.extra.is_object() || !special_tokens.is_object()) {
    throw std::invalid_argument(
        "[apply_chat_template] extra variables and special tokens must "
        "be JSON objects");
  }
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  vars["messages"] = messages;
  vars["tools"] = options.tools;
  vars["documents"] = options.documents;
  vars["add_generation_prompt"] = options.add_generation_prompt;
  for (auto it = special_tokens.begin(); it != special_tokens.end(); ++it) {
    vars[it.key()] = it.value();
  }
  for (auto it = options.extra.begin(); it != options.extra.end(); ++it) {
    vars[it.key()] = it.value();
  }
  const jinja::Template tmpl(template_source);
  std::string rendered = tmpl.render(vars, options.limits);
  if (options.continue_final_message) {
    rendered = cut_after_final(std::move(rendered), messages);
  }
  return rendered;
}

std::string apply_chat_template(const Tokenizer& tokenizer, const nlohmann::ordered_json& messages,
                                const ChatTemplateOptions& options) {
  const TokenizerConfig& config = tokenizer.config();
  std::optional<std::string> source;
  if (!options.template_name.empty()) {
    source = config.chat_template(options.template_name);
    if (!source) {
      throw TemplateError("[apply_chat_template] the tokenizer has no chat template named \"" +
                          options.template_name + "\"");
    }
  } else {
    const bool tools = options.tools.is_array() && !options.tools.empty();
    if (tools) {
      source = config.chat_template("tool_use");
    }
    if (!source) {
      source = config.chat_template();
    }
  }
  if (!source) {
    throw TemplateError(
        "[apply_chat_template] the tokenizer has no chat template "
        "(tokenizer_config.json has no \"chat_template\")");
  }
  return apply_chat_template(*source, messages, options, special_token_variables(config));
}

}  // namespace mlxcpp
