// `mlxcpp forward`: the float32 logits of every position for given token ids, as a
// [T, vocab] .npy, for parity checks when porting models.
#include <fmt/core.h>

#include <filesystem>
#include <sstream>

#include "mlxcpp/io/io.h"
#include "mlxcpp/lm/load.h"
#include "mlxcpp/mlxcpp.h"
#include "tools/cli/commands.h"

namespace mlxcpp::cli {

namespace {

std::vector<int> parse_ids(const std::string& text) {
  std::vector<int> ids;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    size_t used = 0;
    int id = 0;
    try {
      id = std::stoi(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != part.size() || id < 0) {
      throw std::invalid_argument("--tokens: '" + part + "' is not a token id");
    }
    ids.push_back(id);
  }
  if (ids.empty()) {
    throw std::invalid_argument("--tokens: no token ids");
  }
  return ids;
}

}  // namespace

void register_forward(CLI::App& app, Action& action) {
  struct Options {
    std::string model, tokens, out;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("forward", "Write the logits of every position as a .npy");
  cmd->add_option("--model", o->model, "Model folder or hub id")->required();
  cmd->add_option("--tokens", o->tokens, "Comma-separated token ids")->required();
  cmd->add_option("--out", o->out, "Output .npy file ([T, vocab] float32)")->required();
  cmd->callback([o, &action] {
    action = [o] {
      const std::vector<int> ids = parse_ids(o->tokens);
      if (std::filesystem::is_directory(o->out)) {
        throw std::invalid_argument("--out: " + o->out + " is a folder; name a .npy file");
      }
      const lm::LoadedModel m = lm::load(o->model);
      const array tokens(ids.begin(), {1, int(ids.size())}, int32);
      array logits = (*m.model)(tokens, nullptr);
      logits = astype(reshape(logits, {int(ids.size()), logits.shape(-1)}), float32);
      // save() appends ".npy" to a path without it; say where the file went.
      const bool has_ext = o->out.size() >= 4 && o->out.compare(o->out.size() - 4, 4, ".npy") == 0;
      const std::string file = has_ext ? o->out : o->out + ".npy";
      save(o->out, logits);
      fmt::print("{}: [{}, {}] float32\n", file, logits.shape(0), logits.shape(1));
      return 0;
    };
  });
}

}  // namespace mlxcpp::cli
