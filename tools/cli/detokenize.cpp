// `mlxcpp detokenize`: token ids -> text, one list or a JSON-lines batch.
#include <fmt/core.h>

#include <stdexcept>
#include <vector>

#include "mlxcpp/tokenizer/tokenizer.h"
#include "tools/cli/commands.h"
#include "tools/cli/jsonl.h"

namespace mlxcpp::cli {

namespace {

struct DetokenizeOptions {
  std::string model;
  std::string ids;
  std::string jsonl;
  bool skip_special = false;
};

std::vector<int32_t> parse_ids(const std::string& list) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    const std::string item = list.substr(pos, comma - pos);
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || item.find_first_not_of(" \t", used) != std::string::npos || v < INT32_MIN ||
        v > INT32_MAX) {
      throw std::invalid_argument("[detokenize] \"" + item +
                                  "\" is not a token id; expected ids "
                                  "separated by commas, e.g. 1,2,3");
    }
    ids.push_back(static_cast<int32_t>(v));
    pos = comma + 1;
  }
  return ids;
}

nlohmann::ordered_json detokenize_line(const Tokenizer& tok, const std::string& line, bool skip) {
  nlohmann::ordered_json result;
  const auto in = nlohmann::ordered_json::parse(line, nullptr, false);
  if (in.is_discarded() || !in.is_object() || !in.contains("ids") || !in["ids"].is_array()) {
    result["error"] = "expected {\"ids\": [...], \"skip_special_tokens\": true|false}";
    return result;
  }
  std::vector<int32_t> ids;
  for (const auto& v : in["ids"]) {
    if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX) {
      result["error"] = "ids must be integers";
      return result;
    }
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  if (in.contains("skip_special_tokens") && in["skip_special_tokens"].is_boolean()) {
    skip = in["skip_special_tokens"].get<bool>();
  }
  try {
    result["text"] = tok.decode(ids, skip);
  } catch (const std::invalid_argument& e) {
    result["error"] = e.what();
  }
  return result;
}

int run(const DetokenizeOptions& o) {
  const Tokenizer tok = Tokenizer::from_folder(o.model);
  if (o.jsonl.empty()) {
    fmt::print("{}\n", tok.decode(parse_ids(o.ids), o.skip_special));
    return 0;
  }
  for_each_line(o.jsonl, [&](const std::string& line) {
    fmt::print("{}", json_line(detokenize_line(tok, line, o.skip_special)));
  });
  return 0;
}

}  // namespace

void register_detokenize(CLI::App& app, Action& action) {
  auto opts = std::make_shared<DetokenizeOptions>();
  auto* cmd = app.add_subcommand("detokenize", "Print the text of token ids");
  cmd->add_option("--model", opts->model, "Model folder (tokenizer.json or tokenizer.model)")
      ->required();
  cmd->add_flag("--skip-special", opts->skip_special, "Leave out special tokens");
  cmd->add_option("--jsonl", opts->jsonl,
                  "JSON-lines input ({\"ids\", \"skip_special_tokens\"} per line; - = stdin)");
  cmd->add_option("ids", opts->ids, "Token ids separated by commas, e.g. 1,2,3");
  cmd->callback([&action, opts, cmd] {
    if (opts->jsonl.empty() && cmd->count("ids") == 0) {
      throw CLI::ValidationError("detokenize", "give IDS or --jsonl FILE");
    }
    action = [opts] { return run(*opts); };
  });
}

}  // namespace mlxcpp::cli
