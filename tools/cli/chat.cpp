// `mlxcpp chat`: an interactive conversation that keeps its history (and cache) across
// turns; /reset forgets it, /exit (or end of input) quits.
#include <fmt/core.h>

#include <climits>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>

#include "mlxcpp/lm/chat.h"
#include "tools/cli/commands.h"

namespace mlxcpp::cli {

void register_chat(CLI::App& app, Action& action) {
  struct Options {
    std::string model, system_prompt;
    int max_tokens = 256;  // mlx_lm.chat's defaults
    float temp = 0.0f, top_p = 1.0f;
    std::optional<uint64_t> seed;  // none: a fresh one each run, as mlx_lm.chat
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("chat", "Chat with a model (streaming; /reset, /exit)");
  cmd->add_option("--model", o->model, "Model folder or hub id")->required();
  cmd->add_option("--system-prompt", o->system_prompt, "A system message opening the chat");
  cmd->add_option("--max-tokens,-m", o->max_tokens, "Most tokens per reply")
      ->check(CLI::Range(0, INT_MAX));
  cmd->add_option("--temp", o->temp, "Sampling temperature (0: greedy)");
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling threshold");
  cmd->add_option("--seed", o->seed, "Random seed for sampling (default: a fresh one)");
  cmd->callback([o, &action] {
    action = [o] {
      lm::GenerationOptions g;
      g.max_tokens = o->max_tokens;
      g.sampler.temp = o->temp;
      g.sampler.top_p = o->top_p;
      g.sampler.seed = o->seed ? *o->seed : std::random_device{}();
      const lm::Sampler check_sampler(g.sampler);  // bad options fail before the model loads
      const lm::LoadedModel model = lm::load(o->model);
      lm::ChatSession chat(model, o->system_prompt);
      std::string line;
      while (true) {
        fmt::print(">> ");
        std::fflush(stdout);
        if (!std::getline(std::cin, line)) {
          fmt::print("\n");
          break;
        }
        if (!line.empty() && line.back() == '\r') {
          line.pop_back();  // typed on a terminal that sends CRLF
        }
        if (line == "/exit") {
          break;
        }
        if (line == "/reset") {
          chat.reset();
          fmt::print("(conversation reset)\n");
          continue;
        }
        if (line.empty()) {
          continue;
        }
        try {
          chat.send(line, g, [](const std::string& text, const lm::GeneratedToken&) {
            fmt::print("{}", text);
            std::fflush(stdout);
          });
          fmt::print("\n");
        } catch (const std::exception& e) {
          // The session lost nothing (ChatSession::send): report and take the next line.
          fmt::print("\n");
          fmt::print(stderr, "mlxcpp: {}\n", e.what());
        }
      }
      return 0;
    };
  });
}

}  // namespace mlxcpp::cli
