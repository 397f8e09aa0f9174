#include "mlxcpp/lm/chat.h"

#include <stdexcept>

#include "mlxcpp/lm/prompt_cache.h"
#include "mlxcpp/tokenizer/chat_template.h"

namespace mlxcpp::lm {

std::vector<int> encode_messages(const LoadedModel& model, const nlohmann::ordered_json& messages,
                                 const PromptOptions& options) {
  if (!model.tokenizer) {
    throw std::invalid_argument("[chat] the model folder has no tokenizer");
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
  std::string text;
  for (const auto& m : messages) {
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
  GenerationResult r = generate(model_, fresh, options, on_text, &cache_);
  // The cache now holds the prompt and every generated token but the last one.
  cached_ = prompt;
  for (size_t i = 0; i + 1 < r.tokens.size(); ++i) {
    cached_.push_back(r.tokens[i].token);
  }
  next.push_back({{"role", "assistant"}, {"content", r.text}});
  messages_ = std::move(next);
  return r;
}

}  // namespace mlxcpp::lm
