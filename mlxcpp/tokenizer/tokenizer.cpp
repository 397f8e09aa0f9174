#include "mlxcpp/tokenizer/tokenizer.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/backend.h"
#include "mlxcpp/tokenizer/decoders.h"
#include "mlxcpp/tokenizer/models/model.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp {

namespace fs = std::filesystem;

struct Tokenizer::State {
  std::unique_ptr<tokenizer::Backend> backend;
  TokenizerConfig config;
  std::optional<int32_t> bos_id;
  std::optional<int32_t> eos_id;
  // Whether encode() adds/removes BOS and EOS beyond what the backend does,
  // because tokenizer_config.json says so (as transformers' Llama tokenizers do).
  bool json_backend = false;

  // Resolves the config's special tokens to ids.
  void finish() {
    if (auto bos = config.special("bos_token")) {
      bos_id = backend->token_to_id(*bos);
    }
    if (!bos_id && config.generation_bos_token_id) {
      bos_id = config.generation_bos_token_id;
    }
    if (auto eos = config.special("eos_token")) {
      eos_id = backend->token_to_id(*eos);
    }
  }
};

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw IoError("[Tokenizer] cannot open " + path.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    throw IoError("[Tokenizer] cannot read " + path.string());
  }
  return ss.str();
}

bool is_json_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c)) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      return c == '{';
    }
  }
  return false;
}

}  // namespace

Tokenizer::Tokenizer(std::shared_ptr<const State> state) : state_(std::move(state)) {}

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, const std::string& name,
                               TokenizerConfig config) {
  auto s = std::make_shared<State>();
  s->backend = tokenizer::make_json_backend(tokenizer_json, name);
  s->config = std::move(config);
  s->json_backend = true;
  s->finish();
  return Tokenizer(std::move(s));
}

Tokenizer Tokenizer::from_file(const std::string& path) {
  if (!fs::is_regular_file(path)) {
    throw IoError("[Tokenizer] " + path + " is not a file");
  }
  if (is_json_file(path)) {
    return from_json(read_file(path), path);
  }
  auto s = std::make_shared<State>();
  s->backend = tokenizer::make_sentencepiece_backend(path, true, false);
  s->finish();
  return Tokenizer(std::move(s));
}

Tokenizer Tokenizer::from_folder(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root)) {
    throw IoError("[Tokenizer] " + dir + " is not a folder");
  }
  TokenizerConfig config;
  if (const fs::path p = root / "tokenizer_config.json"; fs::is_regular_file(p)) {
    tokenizer::parse_tokenizer_config(read_file(p), p.string(), config);
  }
  if (const fs::path p = root / "generation_config.json"; fs::is_regular_file(p)) {
    tokenizer::parse_generation_config(read_file(p), p.string(), config);
  }
  if (const fs::path p = root / "tokenizer.json"; fs::is_regular_file(p)) {
    return from_json(read_file(p), p.string(), std::move(config));
  }
  if (const fs::path p = root / "tokenizer.model"; fs::is_regular_file(p)) {
    auto s = std::make_shared<State>();
    s->backend = tokenizer::make_sentencepiece_backend(
        p.string(), config.add_bos_token.value_or(true), config.add_eos_token.value_or(false));
    s->config = std::move(config);
    s->finish();
    return Tokenizer(std::move(s));
  }
  throw IoError("[Tokenizer] " + dir + " has neither tokenizer.json nor tokenizer.model");
}

Encoding Tokenizer::encode_with_offsets(std::string_view text, bool add_special_tokens) const {
  return encode_impl(text, add_special_tokens, nullptr);
}

Encoding Tokenizer::encode_impl(std::string_view text, bool add_special_tokens,
                                tokenizer::ModelScratch* scratch) const {
  const State& s = *state_;
  Encoding enc;
  if (tokenizer::utf8::is_valid(text)) {
    enc = s.backend->encode(text, add_special_tokens, scratch);
  } else {
    enc = s.backend->encode(tokenizer::utf8::repair(text), add_special_tokens, scratch);
  }
  if (!add_special_tokens || !s.json_backend) {
    return enc;
  }
  // tokenizer_config.json's add_bos_token / add_eos_token, where they say more
  // than the post-processor does.
  const TokenizerConfig& c = s.config;
  if (c.add_bos_token && s.bos_id) {
    const bool has = !enc.ids.empty() && enc.ids.front() == *s.bos_id && enc.special_tokens_mask[0];
    if (*c.add_bos_token && !has) {
      Encoding out;
      out.push(*s.bos_id, *id_to_token(*s.bos_id), {0, 0}, true);
      for (size_t i = 0; i < enc.size(); ++i) {
        out.push(enc.ids[i], std::move(enc.tokens[i]), enc.offsets[i], enc.special_tokens_mask[i]);
      }
      enc = std::move(out);
    }
  }
  if (c.add_eos_token && *c.add_eos_token && s.eos_id) {
    const bool has = !enc.ids.empty() && enc.ids.back() == *s.eos_id;
    if (!has) {
      enc.push(*s.eos_id, *id_to_token(*s.eos_id), {0, 0}, true);
    }
  }
  return enc;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  return encode_with_offsets(text, add_special_tokens).ids;
}

std::vector<std::vector<int32_t>> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                                          bool add_special_tokens) const {
  std::vector<std::vector<int32_t>> out(texts.size());
  cpu::parallel_for(static_cast<int64_t>(texts.size()), 1, [&](int64_t b, int64_t e) {
    // One word cache per chunk: texts of a batch share most of their words.
    tokenizer::ModelScratch scratch;
    for (int64_t i = b; i < e; ++i) {
      out[static_cast<size_t>(i)] =
          encode_impl(texts[static_cast<size_t>(i)], add_special_tokens, &scratch).ids;
    }
  });
  return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  return state_->backend->decode(ids, skip_special_tokens);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, const DecodeOptions& options) const {
  std::string text = state_->backend->decode(ids, options.skip_special_tokens);
  if (options.clean_up_tokenization_spaces) {
    text = tokenizer::cleanup_tokenization(text);
  }
  return text;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  return state_->backend->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  return state_->backend->id_to_token(id);
}

size_t Tokenizer::vocab_size() const {
  return state_->backend->vocab_size();
}

bool Tokenizer::is_special(int32_t id) const {
  return state_->backend->is_special(id);
}

const TokenizerConfig& Tokenizer::config() const {
  return state_->config;
}

std::optional<int32_t> Tokenizer::bos_token_id() const {
  return state_->bos_id;
}

std::vector<int32_t> Tokenizer::eos_token_ids() const {
  if (!state_->config.generation_eos_token_ids.empty()) {
    return state_->config.generation_eos_token_ids;
  }
  if (state_->eos_id) {
    return {*state_->eos_id};
  }
  return {};
}

bool Tokenizer::strips_leading_space() const {
  return state_->backend->strips_leading_space();
}

}  // namespace mlxcpp
