// The mlxcpp command: parses the command line and runs one subcommand.
// Errors become a message on stderr and a non-zero exit code.
#include <fmt/core.h>

#include <exception>
#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/version.h"
#include "tools/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"mlxcpp: MLX models and arrays in native code"};
  app.set_version_flag("--version", std::string("mlxcpp ") + mlxcpp::version());
  app.require_subcommand(0, 1);

  mlxcpp::cli::Action action;
  mlxcpp::cli::register_info(app, action);
  mlxcpp::cli::register_tokenize(app, action);
  mlxcpp::cli::register_detokenize(app, action);
  mlxcpp::cli::register_chat_template(app, action);
  mlxcpp::cli::register_generate(app, action);
  mlxcpp::cli::register_chat(app, action);
  mlxcpp::cli::register_forward(app, action);
  mlxcpp::cli::register_bench(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and --version exit 0; a bad command line is a usage error (2), as bad values are.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!action) {
    fmt::print("{}", app.help());
    return 0;
  }
  try {
    return action();
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "mlxcpp: invalid argument: {}\n", e.what());
    return 2;
  } catch (const mlxcpp::Error& e) {
    fmt::print(stderr, "mlxcpp: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mlxcpp: internal error: {}\n", e.what());
    return 1;
  }
}
