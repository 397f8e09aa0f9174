// `mlxcpp chat-template`: render a conversation with a model's (or a given)
// chat template, or a JSON-lines batch of variable sets.
#include <fmt/core.h>

#include <filesystem>
#include <optional>

#include "mlxcpp/tokenizer/chat_template.h"
#include "mlxcpp/tokenizer/jinja/template.h"
#include "mlxcpp/tokenizer/tokenizer_config.h"
#include "tools/cli/commands.h"
#include "tools/cli/jsonl.h"

namespace mlxcpp::cli {

namespace {

using ojson = nlohmann::ordered_json;

struct ChatTemplateCliOptions {
  std::string model;
  std::string template_file;
  std::string messages;
  std::string tools;
  std::string jsonl;
  bool add_generation_prompt = false;
  std::vector<std::string> vars;
};

// The model folder's tokenizer_config.json (template and special tokens), when given.
TokenizerConfig model_config(const std::string& dir) {
  TokenizerConfig config;
  if (dir.empty()) {
    return config;
  }
  if (!std::filesystem::is_directory(dir)) {
    throw IoError("[chat-template] " + dir + " is not a folder");
  }
  const auto path = std::filesystem::path(dir) / "tokenizer_config.json";
  if (std::filesystem::is_regular_file(path)) {
    tokenizer::parse_tokenizer_config(read_all(path.string()), path.string(), config);
  }
  return config;
}

std::optional<std::string> template_source(const ChatTemplateCliOptions& o,
                                           const TokenizerConfig& config) {
  if (!o.template_file.empty()) {
    return read_all(o.template_file);
  }
  return config.chat_template();
}

// --var KEY=JSON (a value that is not JSON is taken as a string).
ojson parse_vars(const std::vector<std::string>& vars) {
  ojson out = ojson::object();
  for (const auto& v : vars) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::invalid_argument("[chat-template] --var " + v + ": expected KEY=JSON");
    }
    const auto value = ojson::parse(v.substr(eq + 1), nullptr, false);
    out[v.substr(0, eq)] = value.is_discarded() ? ojson(v.substr(eq + 1)) : value;
  }
  return out;
}

std::string render_line(const std::string& line, const std::optional<std::string>& default_source,
                        const ojson& special_tokens) {
  const auto in = ojson::parse(line, nullptr, false);
  ojson result;
  if (in.is_discarded() || !in.is_object()) {
    result["error"] = "expected a JSON object of template variables";
    return json_line(result);
  }
  try {
    ojson vars = {{"messages", ojson::array()},
                  {"tools", nullptr},
                  {"documents", nullptr},
                  {"add_generation_prompt", false}};
    for (auto it = special_tokens.begin(); it != special_tokens.end(); ++it) {
      vars[it.key()] = it.value();
    }
    std::optional<std::string> source = default_source;
    for (auto it = in.begin(); it != in.end(); ++it) {
      if (it.key() == "template" && it.value().is_string()) {
        source = it.value().get<std::string>();
      } else {
        vars[it.key()] = it.value();
      }
    }
    if (!source) {
      throw TemplateError("no template: give \"template\", --template or --model");
    }
    result["rendered"] = jinja::Template(*source).render(vars);
  } catch (const jinja::RaisedError& e) {
    result["error"] = e.message();
  } catch (const std::exception& e) {
    result["error"] = e.what();
  }
  return json_line(result);
}

int run(const ChatTemplateCliOptions& o) {
  const TokenizerConfig config = model_config(o.model);
  const ojson special_tokens = special_token_variables(config);
  const std::optional<std::string> source = template_source(o, config);
  if (!o.jsonl.empty()) {
    for_each_line(o.jsonl, [&](const std::string& line) {
      fmt::print("{}", render_line(line, source, special_tokens));
    });
    return 0;
  }
  if (!source) {
    throw TemplateError(
        "[chat-template] no chat template: give --template FILE, or --model DIR "
        "whose tokenizer_config.json has one");
  }
  ChatTemplateOptions options;
  options.add_generation_prompt = o.add_generation_prompt;
  if (!o.tools.empty()) {
    options.tools = read_json_file(o.tools);
  }
  options.extra = parse_vars(o.vars);
  fmt::print("{}",
             apply_chat_template(*source, read_json_file(o.messages), options, special_tokens));
  return 0;
}

}  // namespace

void register_chat_template(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ChatTemplateCliOptions>();
  auto* cmd = app.add_subcommand("chat-template", "Render a conversation with a chat template");
  cmd->add_option("--model", opts->model,
                  "Model folder: its tokenizer_config.json gives the "
                  "template and special tokens");
  cmd->add_option("--template", opts->template_file, "A template file (overrides the model's)");
  cmd->add_option("--messages", opts->messages, "JSON file with the list of messages");
  cmd->add_option("--tools", opts->tools, "JSON file with the list of tools");
  cmd->add_flag("--add-generation-prompt", opts->add_generation_prompt,
                "End with the start of an assistant turn");
  cmd->add_option("--var", opts->vars,
                  "Extra variable KEY=JSON (repeatable), e.g. "
                  "enable_thinking=false");
  cmd->add_option("--jsonl", opts->jsonl,
                  "JSON-lines input: one object of template variables "
                  "per line (- = stdin)");
  cmd->callback([&action, opts] {
    if (opts->jsonl.empty() && opts->messages.empty()) {
      throw CLI::ValidationError("chat-template", "give --messages FILE or --jsonl FILE");
    }
    action = [opts] { return run(*opts); };
  });
}

}  // namespace mlxcpp::cli
