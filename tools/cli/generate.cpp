// `mlxcpp generate`: text from a prompt, streamed as it is produced (as mlx_lm.generate).
#include <fmt/core.h>

#include <cstdio>

#include "mlxcpp/lm/chat.h"
#include "mlxcpp/lm/speculative.h"
#include "tools/cli/commands.h"
#include "tools/cli/jsonl.h"

namespace mlxcpp::cli {

namespace {

struct GenerateOptions {
  std::string model;
  std::string prompt;
  std::string system_prompt;
  int max_tokens = 100;
  float temp = 0.0f;
  float top_p = 1.0f;
  int top_k = 0;
  float min_p = 0.0f;
  uint64_t seed = 0;
  bool ignore_chat_template = false;
  std::string chat_template_config;
  std::vector<std::string> stop;
  bool verbose = false;
  int logprobs = 0;
  std::string draft_model;
  int num_draft_tokens = 3;
  int kv_bits = 0;
  int kv_group_size = 64;
  int quantized_kv_start = 0;
};

lm::GenerationOptions generation_options(const GenerateOptions& o) {
  lm::GenerationOptions g;
  g.max_tokens = o.max_tokens;
  g.sampler.temp = o.temp;
  g.sampler.top_p = o.top_p;
  g.sampler.top_k = o.top_k;
  g.sampler.min_p = o.min_p;
  g.sampler.seed = o.seed;
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
  const lm::LoadedModel model = lm::load(o.model);
  const std::string prompt = o.prompt == "-" ? read_all("-") : o.prompt;
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!o.system_prompt.empty()) {
    messages.push_back({{"role", "system"}, {"content", o.system_prompt}});
  }
  messages.push_back({{"role", "user"}, {"content", prompt}});
  lm::PromptOptions p;
  p.use_chat_template = !o.ignore_chat_template;
  if (!o.chat_template_config.empty()) {
    p.template_variables = nlohmann::ordered_json::parse(o.chat_template_config, nullptr, false);
    if (!p.template_variables.is_object()) {
      throw std::invalid_argument("--chat-template-config must be a JSON object");
    }
  }
  const std::vector<int> ids = lm::encode_messages(model, messages, p);
  const lm::GenerationOptions g = generation_options(o);
  lm::TextCallback print_text = [](const std::string& text, const lm::GeneratedToken&) {
    fmt::print("{}", text);
    std::fflush(stdout);
  };
  lm::TextCallback print_json = [&](const std::string& text, const lm::GeneratedToken& t) {
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
  const auto& on_text = o.logprobs > 0 ? print_json : print_text;
  lm::GenerationResult r;
  if (o.draft_model.empty()) {
    r = lm::generate(model, ids, g, on_text);
  } else {
    const lm::LoadedModel draft = lm::load(o.draft_model);
    r = lm::generate_speculative(model, draft, ids, g, o.num_draft_tokens, on_text);
  }
  if (o.logprobs == 0) {
    fmt::print("\n");
  }
  if (o.verbose) {
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
  cmd->add_option("--prompt,-p", o->prompt, "The prompt ('-' reads stdin)")->required();
  cmd->add_option("--system-prompt", o->system_prompt, "A system message before the prompt");
  cmd->add_option("--max-tokens,-m", o->max_tokens, "Most tokens to generate")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--temp", o->temp, "Sampling temperature (0: greedy)");
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling threshold");
  cmd->add_option("--top-k", o->top_k, "Sample from the k most likely tokens (0: all)");
  cmd->add_option("--min-p", o->min_p, "Minimum probability relative to the top token");
  cmd->add_option("--seed", o->seed, "Random seed for sampling");
  cmd->add_flag("--ignore-chat-template", o->ignore_chat_template,
                "Encode the prompt as is, without the chat template");
  cmd->add_option(
      "--chat-template-config", o->chat_template_config,
      "Extra chat-template variables as a JSON object, e.g. {\"enable_thinking\": false}");
  cmd->add_option("--stop", o->stop, "Stop when this text appears (repeatable)");
  cmd->add_flag("--verbose", o->verbose, "Print prompt and generation speed and peak memory");
  cmd->add_option("--logprobs", o->logprobs,
                  "Print JSON lines with each token's log-probability and N alternatives")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--kv-bits", o->kv_bits, "Quantize the KV cache to this many bits (0: no)");
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
