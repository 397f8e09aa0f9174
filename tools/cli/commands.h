// Subcommands of the mlxcpp command: each file registers one.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace mlxcpp::cli {

/** A subcommand's action, run after parsing; returns the process exit code. */
using Action = std::function<int()>;

/** `mlxcpp info`: the build (version, compiler, ISA, BLAS, threads). */
void register_info(CLI::App& app, Action& action);

}  // namespace mlxcpp::cli
