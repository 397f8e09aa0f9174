#include "mlxcpp/lm/chat.h"

#include <stdexcept>

#include "mlxcpp/lm/prompt_cache.h"
#include "mlxcpp/tokenizer/chat_template.h"

namespace mlxcpp::lm {

std::vector<int> encode_messages(const LoadedModel& model, const nlohmann::ordered_json& messages,
                                 const PromptOptions& options) {
  if (!model.tokenizer) {
    throw std::invalid_argument(
        "[lm] the model folder has no tokenizer (tokenizer.json or tokenizer.model)");
  }
  const Tokenizer& tok = *model.tokenizer;
  if (options.use_chat_template && tok.config().chat_template()) {
    ChatTemplateOptions t;
    t.add_generation_prompt = true;
    t.extra = options.template_variables;
    const std::string text = apply_chat_template(tok, messages, t);
    const auto ids = tok.encode(text, false);
    return {ids.begin(), ids.end()};
  }
  // Without a template, as mlx_lm.generate: the turns' text, but no system message.
  std::string text;
  for (const auto& m : messages) {
    if (!m.is_object() || (m.contains("role") && !m["role"].is_string())) {
      throw std::invalid_argument("[lm] each message must be an object with a string role, got " +
                                  m.dump());
    }
    if (m.value("role", "") == "system") {
      continue;
    }
    if (m.contains("content") && m["content"].is_string()) {
      if (!text.empty()) {
        text += '\n';
      }
      text += m["content"].get<std::string>();
    }
  }
  const auto ids = tok.encode(text, true);
  return {ids.begin(), ids.end()};
}

ChatSession::ChatSession(const LoadedModel& model, std::string system_prompt, PromptOptions options)
    : model_(model), system_(std::move(system_prompt)), options_(std::move(options)) {
  reset();
}

void ChatSession::reset() {
  messages_ = nlohmann::ordered_json::array();
  if (!system_.empty()) {
    messages_.push_back({{"role", "system"}, {"content", system_}});
  }
  cache_ = model_.model->make_cache();
  cached_.clear();
  last_prefill_ = 0;
}

void ChatSession::track_cache(const std::vector<int>& fed) {
  const size_t held = cache_.empty() ? 0 : size_t(cache_[0]->offset());
  if (held > fed.size()) {
    cache_ = model_.model->make_cache();  // it holds tokens nobody knows: start over
    cached_.clear();
    return;
  }
  cached_.assign(fed.begin(), fed.begin() + long(held));
}

GenerationResult ChatSession::send(const std::string& user_text, const GenerationOptions& options,
                                   const TextCallback& on_text) {
  nlohmann::ordered_json next = messages_;
  next.push_back({{"role", "user"}, {"content", user_text}});
  const std::vector<int> prompt = encode_messages(model_, next, options_);
  // Reuse the cache for the longest common prefix (keeping at least one token to feed).
  size_t common = 0;
  while (common < cached_.size() && common + 1 < prompt.size() &&
         cached_[common] == prompt[common]) {
    ++common;
  }
  const int drop = int(cached_.size() - common);
  if (drop > 0 && trim_prompt_cache(cache_, drop) != drop) {
    // A cache that cannot rewind (a wrapped window, a conv state): start over.
    cache_ = model_.model->make_cache();
    common = 0;
  }
  const std::vector<int> fresh(prompt.begin() + long(common), prompt.end());
  last_prefill_ = int(fresh.size());
  GenerationOptions turn = options;
  turn.sampler.seed ^= turns_ * 0x9E3779B97F4A7C15ull;
  GenerationResult r;
  try {
    r = generate(model_, fresh, turn, on_text, &cache_);
  } catch (...) {
    // The history stays as it was; the cache may hold part of this turn's prompt (or, past
    // the prefill, tokens no longer known), which the next turn trims or starts over from.
    track_cache(prompt);
    throw;
  }
  // The cache holds the prompt and the generated tokens it was fed (all but the last, or
  // none when nothing was generated).
  std::vector<int> seen = prompt;
  for (const auto& t : r.tokens) {
    seen.push_back(t.token);
  }
  track_cache(seen);
  ++turns_;  // a failed turn, retried, draws from the same stream
  next.push_back({{"role", "assistant"}, {"content", r.text}});
  messages_ = std::move(next);
  return r;
}

}  // namespace mlxcpp::lm
