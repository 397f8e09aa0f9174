// `mlxcpp chat`: an interactive conversation that keeps its history (and cache) across
// turns; /reset forgets it, /exit (or end of input) quits.
#include <fmt/core.h>

#include <cstdio>
#include <iostream>

#include "mlxcpp/lm/chat.h"
#include "tools/cli/commands.h"

namespace mlxcpp::cli {

void register_chat(CLI::App& app, Action& action) {
  struct Options {
    std::string model, system_prompt;
    int max_tokens = 512;
    float temp = 0.0f, top_p = 1.0f;
    uint64_t seed = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("chat", "Chat with a model (streaming; /reset, /exit)");
  cmd->add_option("--model", o->model, "Model folder or hub id")->required();
  cmd->add_option("--system-prompt", o->system_prompt, "A system message opening the chat");
  cmd->add_option("--max-tokens,-m", o->max_tokens, "Most tokens per reply")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--temp", o->temp, "Sampling temperature (0: greedy)");
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling threshold");
  cmd->add_option("--seed", o->seed, "Random seed for sampling");
  cmd->callback([o, &action] {
    action = [o] {
      const lm::LoadedModel model = lm::load(o->model);
      lm::ChatSession chat(model, o->system_prompt);
      lm::GenerationOptions g;
      g.max_tokens = o->max_tokens;
      g.sampler.temp = o->temp;
      g.sampler.top_p = o->top_p;
      g.sampler.seed = o->seed;
      std::string line;
      while (true) {
        fmt::print(">> ");
        std::fflush(stdout);
        if (!std::getline(std::cin, line) || line == "/exit") {
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
        chat.send(line, g, [](const std::string& text, const lm::GeneratedToken&) {
          fmt::print("{}", text);
          std::fflush(stdout);
        });
        fmt::print("\n");
      }
      return 0;
    };
  });
}

}  // namespace mlxcpp::cli
