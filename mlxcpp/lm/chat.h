// Prompts from conversations, and a chat session that keeps its cache across turns so each
// turn prefills only the tokens the cache does not already hold.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "mlxcpp/lm/generate.h"

namespace mlxcpp::lm {

struct PromptOptions {
  bool use_chat_template = true;  // false (or no template): the text is encoded as is
  nlohmann::ordered_json template_variables =
      nlohmann::ordered_json::object();  // e.g. enable_thinking
};

/** Token ids of `messages` rendered with the model's chat template (with the assistant
 *  header) and encoded without adding special tokens again; without a template, the
 *  contents of the messages other than system ones, joined by newlines and encoded with
 *  the tokenizer's special tokens. */
std::vector<int> encode_messages(const LoadedModel& model, const nlohmann::ordered_json& messages,
                                 const PromptOptions& options = {});

class ChatSession {
 public:
  /** `system_prompt` (if not empty) opens the conversation. The model must outlive it. */
  ChatSession(const LoadedModel& model, std::string system_prompt = {}, PromptOptions options = {});

  /** Adds a user turn, generates the reply (streamed to on_text) and adds it. Each turn
   *  samples from its own random stream (as mlx-lm's, which continues across turns): the
   *  options' seed for the session's first turn, mixed with the turn's number after. */
  GenerationResult send(const std::string& user_text, const GenerationOptions& options,
                        const TextCallback& on_text = {});
  /** Forgets the conversation and the cache (keeps the system prompt). */
  void reset();

  const nlohmann::ordered_json& messages() const { return messages_; }
  /** Tokens the last send() had to prefill (what the cache did not hold). */
  int last_prefill_tokens() const { return last_prefill_; }

 private:
  // Sets cached_ to the first tokens of `fed` that the cache holds (by its offset).
  void track_cache(const std::vector<int>& fed);

  const LoadedModel& model_;
  std::string system_;
  PromptOptions options_;
  nlohmann::ordered_json messages_;
  Cache cache_;
  std::vector<int> cached_;  // the tokens whose keys/values the cache holds
  uint64_t turns_ = 0;       // turns completed so far (reset() keeps counting)
  int last_prefill_ = 0;
};

}  // namespace mlxcpp::lm
