// `mlxcpp tokenize`: text -> token ids, one text or a JSON-lines batch.
#include <fmt/core.h>

#include <vector>

#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/tokenizer/tokenizer.h"
#include "tools/cli/commands.h"
#include "tools/cli/jsonl.h"

namespace mlxcpp::cli {

namespace {

struct TokenizeOptions {
  std::string model;
  std::string text;
  std::string jsonl;
  bool no_special = false;
};

// Encodes a batch of lines in parallel and prints one result per line, in order.
void tokenize_batch(const Tokenizer& tok, const std::vector<std::string>& lines,
                    bool default_special) {
  std::vector<std::string> out(lines.size());
  cpu::parallel_for(static_cast<int64_t>(lines.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const auto& line = lines[static_cast<size_t>(i)];
      nlohmann::ordered_json result;
      const auto in = nlohmann::ordered_json::parse(line, nullptr, false);
      if (in.is_discarded() || !in.is_object() || !in.contains("text") || !in["text"].is_string()) {
        result["error"] = "expected {\"text\": ..., \"add_special_tokens\": true|false}";
      } else {
        const bool special =
            in.contains("add_special_tokens") && in["add_special_tokens"].is_boolean()
                ? in["add_special_tokens"].get<bool>()
                : default_special;
        const Encoding enc = tok.encode_with_offsets(in["text"].get<std::string>(), special);
        result["ids"] = enc.ids;
        result["tokens"] = enc.tokens;
      }
      out[static_cast<size_t>(i)] = json_line(result);
    }
  });
  for (const auto& s : out) {
    fmt::print("{}", s);
  }
}

int run(const TokenizeOptions& o) {
  const Tokenizer tok = Tokenizer::from_folder(o.model);
  if (o.jsonl.empty()) {
    fmt::print("{}\n", nlohmann::json(tok.encode(o.text, !o.no_special)).dump());
    return 0;
  }
  constexpr size_t kBatch = 4096;
  std::vector<std::string> lines;
  for_each_line(o.jsonl, [&](const std::string& line) {
    lines.push_back(line);
    if (lines.size() == kBatch) {
      tokenize_batch(tok, lines, !o.no_special);
      lines.clear();
    }
  });
  tokenize_batch(tok, lines, !o.no_special);
  return 0;
}

}  // namespace

void register_tokenize(CLI::App& app, Action& action) {
  auto opts = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text (JSON list)");
  cmd->add_option("--model", opts->model, "Model folder (tokenizer.json or tokenizer.model)")
      ->required();
  cmd->add_flag("--no-special", opts->no_special, "Do not add special tokens (BOS, ...)");
  cmd->add_option("--jsonl", opts->jsonl,
                  "JSON-lines input ({\"text\", \"add_special_tokens\"} per line; - = stdin)");
  cmd->add_option("text", opts->text, "The text to tokenize");
  cmd->callback([&action, opts, cmd] {
    if (opts->jsonl.empty() && cmd->count("text") == 0) {
      throw CLI::ValidationError("tokenize", "give a TEXT or --jsonl FILE");
    }
    action = [opts] { return run(*opts); };
  });
}

}  // namespace mlxcpp::cli
