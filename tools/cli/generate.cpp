// `mlxcpp generate`: text from a prompt, streamed as it is produced (as mlx_lm.generate).
#include <fmt/core.h>

#include <climits>
#include <cstdio>
#include <optional>
#include <random>

#include "mlxcpp/lm/chat.h"
#include "mlxcpp/lm/speculative.h"
#include "tools/cli/commands.h"
#include "tools/cli/jsonl.h"

namespace mlxcpp::cli {

namespace {

struct GenerateOptions {
  std::string model;
  std::string prompt;
  std::optional<std::string> system_prompt;
  int max_tokens = 100;
  float temp = 0.0f;
  float top_p = 1.0f;
  int top_k = 0;
  float min_p = 0.0f;
  std::optional<uint64_t> seed;  // none: a fresh one each run, as mlx_lm.generate
  bool ignore_chat_template = false;
  std::string chat_template_config;
  std::vector<std::string> stop;
  bool verbose = false;
  int logprobs = 0;
  std::string draft_model;
  int num_draft_tokens = 3;
  int kv_bits = 0;
  int kv_group_size = 64;
  int quantized_kv_start = 5000;  // mlx_lm.generate's default
};

// mlx_lm.generate's prompt: "\\n" and "\\t" typed on a command line mean a newline and a tab.
std::string unescape(std::string s) {
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"\\n", "\n"}, {"\\t", "\t"}}) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
  }
  return s;
}

lm::GenerationOptions generation_options(const GenerateOptions& o) {
  lm::GenerationOptions g;
  g.max_tokens = o.max_tokens;
  g.sampler.temp = o.temp;
  g.sampler.top_p = o.top_p;
  g.sampler.top_k = o.top_k;
  g.sampler.min_p = o.min_p;
  g.sampler.seed = o.seed ? *o.seed : std::random_device{}();
  g.stop_strings = o.stop;
  g.top_logprobs = o.logprobs;
  if (o.kv_bits > 0) {
    g.kv_bits = o.kv_bits;
  }
  g.kv_group_size = o.kv_group_size;
  g.quantized_kv_start = o.quantized_kv_start;
  return g;
}

int run(const GenerateOptions& o) {
  // Everything that can be wrong with the arguments fails before a (large) model loads.
  lm::PromptOptions p;
  p.use_chat_template = !o.ignore_chat_template;
  if (!o.chat_template_config.empty()) {
    p.template_variables = nlohmann::ordered_json::parse(o.chat_template_config, nullptr, false);
    if (!p.template_variables.is_object()) {
      throw std::invalid_argument("--chat-template-config must be a JSON object, got '" +
                                  o.chat_template_config + "'");
    }
  }
  const lm::GenerationOptions g = generation_options(o);
  const lm::Sampler check_sampler(g.sampler);
  lm::check_cache_options(g, "generate");
  const std::string prompt = o.prompt == "-" ? read_all("-") : unescape(o.prompt);
  const lm::LoadedModel model = lm::load(o.model);
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (o.system_prompt) {
    messages.push_back({{"role", "system"}, {"content", *o.system_prompt}});
  }
  messages.push_back({{"role", "user"}, {"content", prompt}});
  const std::vector<int> ids = lm::encode_messages(model, messages, p);
  lm::TextCallback print_text = [](const std::string& text, const lm::GeneratedToken&) {
    fmt::print("{}", text);
    std::fflush(stdout);
  };
  // One line per token, as mlx-lm yields one response per token.
  lm::TokenCallback print_json = [&](const lm::GeneratedToken& t, const std::string& text) {
    nlohmann::ordered_json j;
    j["token"] = t.token;
    j["text"] = text;
    j["logprob"] = t.logprob;
    j["top_logprobs"] = nlohmann::ordered_json::array();
    for (const auto& a : t.top_logprobs) {
      j["top_logprobs"].push_back({{"token", a.token}, {"logprob", a.logprob}});
    }
    fmt::print("{}", json_line(j));
  };
  const lm::TextCallback on_text = o.logprobs > 0 ? lm::TextCallback{} : print_text;
  const lm::TokenCallback on_token = o.logprobs > 0 ? print_json : lm::TokenCallback{};
  lm::GenerationResult r;
  if (o.draft_model.empty()) {
    r = lm::generate(model, ids, g, on_text, nullptr, on_token);
  } else {
    const lm::LoadedModel draft = lm::load(o.draft_model);
    r = lm::generate_speculative(model, draft, ids, g, o.num_draft_tokens, on_text, on_token);
  }
  if (o.logprobs == 0) {
    fmt::print("\n");
  }
  if (o.verbose) {
    if (r.text.empty()) {
      fmt::print(stderr, "No text generated for this prompt\n");
    }
    fmt::print(stderr, "==========\n");
    fmt::print(stderr, "Prompt: {} tokens, {:.3f} tokens-per-sec\n", r.prompt_tokens,
               r.prompt_tokens_per_s);
    fmt::print(stderr, "Generation: {} tokens, {:.3f} tokens-per-sec\n", r.generation_tokens,
               r.generation_tokens_per_s);
    fmt::print(stderr, "Peak memory: {:.3f} GB\n", double(r.peak_memory) / 1e9);
  }
  return 0;
}

}  // namespace

void register_generate(CLI::App& app, Action& action) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand("generate", "Generate text from a prompt");
  cmd->add_option("--model", o->model, "Model folder or hub id (org/name[@revision])")->required();
  cmd->add_option("--prompt,-p", o->prompt,
                  "The prompt ('-' reads stdin; \\n and \\t typed in it mean newline and tab)")
      ->required();
  cmd->add_option("--system-prompt", o->system_prompt,
                  "A system message before the prompt (with the chat template)");
  cmd->add_option("--max-tokens,-m", o->max_tokens, "Most tokens to generate")
      ->check(CLI::Range(0, INT_MAX));
  cmd->add_option("--temp", o->temp, "Sampling temperature (0: greedy)");
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling threshold");
  cmd->add_option("--top-k", o->top_k, "Sample from the k most likely tokens (0: all)");
  cmd->add_option("--min-p", o->min_p, "Minimum probability relative to the top token");
  cmd->add_option("--seed", o->seed, "Random seed for sampling (default: a fresh one)");
  cmd->add_flag("--ignore-chat-template", o->ignore_chat_template,
                "Encode the prompt as is, without the chat template");
  cmd->add_option(
      "--chat-template-config", o->chat_template_config,
      "Extra chat-template variables as a JSON object, e.g. {\"enable_thinking\": false}");
  cmd->add_option("--stop", o->stop, "Stop when this text appears (repeatable)");
  cmd->add_flag("--verbose", o->verbose, "Print prompt and generation speed and peak memory");
  cmd->add_option("--logprobs", o->logprobs,
                  "Print JSON lines with each token's log-probability and N alternatives")
      ->check(CLI::Range(0, INT_MAX));
  cmd->add_option("--kv-bits", o->kv_bits, "Quantize the KV cache to this many bits (0: no)")
      ->check(CLI::IsMember({0, 2, 3, 4, 5, 6, 8}));
  cmd->add_option("--kv-group-size", o->kv_group_size, "Group size of the quantized KV cache");
  cmd->add_option("--quantized-kv-start", o->quantized_kv_start,
                  "Quantize the KV cache once it holds this many tokens");
  cmd->add_option("--draft-model", o->draft_model,
                  "A smaller model with the same vocabulary for speculative decoding");
  cmd->add_option("--num-draft-tokens", o->num_draft_tokens, "Tokens the draft model proposes")
      ->check(CLI::PositiveNumber);
  cmd->callback([o, &action] { action = [o] { return run(*o); }; });
}

}  // namespace mlxcpp::cli
