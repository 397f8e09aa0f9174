// Subcommands of the mlxcpp command: each file registers one.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace mlxcpp::cli {

/** A subcommand's action, run after parsing; returns the process exit code. */
using Action = std::function<int()>;

/** `mlxcpp info`: the build (version, compiler, ISA, BLAS, threads). */
void register_info(CLI::App& app, Action& action);

/** `mlxcpp tokenize`: the token ids of a text, or of each line of a JSON-lines file. */
void register_tokenize(CLI::App& app, Action& action);

/** `mlxcpp detokenize`: the text of token ids, or of each line of a JSON-lines file. */
void register_detokenize(CLI::App& app, Action& action);

/** `mlxcpp chat-template`: a conversation rendered with a chat template. */
void register_chat_template(CLI::App& app, Action& action);

/** `mlxcpp generate`: text from a prompt, streamed. */
void register_generate(CLI::App& app, Action& action);

/** `mlxcpp chat`: an interactive conversation. */
void register_chat(CLI::App& app, Action& action);

/** `mlxcpp forward`: the logits of every position of token ids, as a .npy. */
void register_forward(CLI::App& app, Action& action);

/** `mlxcpp bench`: prompt and generation speed of random-weight models. */
void register_bench(CLI::App& app, Action& action);

}  // namespace mlxcpp::cli
