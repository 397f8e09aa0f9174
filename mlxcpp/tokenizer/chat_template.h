// apply_chat_template: renders a conversation with a model's chat template,
// with the variables transformers passes (messages, tools, documents,
// add_generation_prompt, the special tokens, and extra variables).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "mlxcpp/tokenizer/jinja/environment.h"
#include "mlxcpp/tokenizer/tokenizer.h"

namespace mlxcpp {

struct ChatTemplateOptions {
  /** End with the header of an assistant turn, for the model to write it. */
  bool add_generation_prompt = false;
  /** Leave the last message open (the rendered text ends with its content). */
  bool continue_final_message = false;
  /** Tool (function) definitions: a JSON list, or null. */
  nlohmann::ordered_json tools = nullptr;
  /** Documents for retrieval-augmented templates: a JSON list, or null. */
  nlohmann::ordered_json documents = nullptr;
  /** More variables, e.g. {"enable_thinking": false}; they override the others. */
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  /** A named template of tokenizer_config.json; empty: "tool_use" when tools are given
   *  and the config has it, else the default one. */
  std::string template_name;
  jinja::RenderLimits limits;
};

/** Renders `messages` (a JSON list of {"role", "content", ...}) with `template_source`;
 *  `special_tokens` (e.g. {"bos_token": "<s>"}) become variables of the same names.
 *  Throws TemplateError when the template fails, std::invalid_argument for bad options. */
std::string apply_chat_template(
    std::string_view template_source, const nlohmann::ordered_json& messages,
    const ChatTemplateOptions& options = {},
    const nlohmann::ordered_json& special_tokens = nlohmann::ordered_json::object());

/** Renders with the tokenizer's chat template and special tokens (tokenizer_config.json).
 *  Throws TemplateError when the folder has no chat template. */
std::string apply_chat_template(const Tokenizer& tokenizer, const nlohmann::ordered_json& messages,
                                const ChatTemplateOptions& options = {});

/** The special tokens of a config as template variables ({"bos_token": ..., ...}). */
nlohmann::ordered_json special_token_variables(const TokenizerConfig& config);

}  // namespace mlxcpp
