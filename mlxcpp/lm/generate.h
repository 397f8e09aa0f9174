// Text generation as mlx-lm's generate_step / stream_generate: chunked prefill, sampling,
// streaming text through the detokenizer, EOS ids and stop strings (never emitted, even
// when they span tokens), per-token log-probabilities, statistics and cancellation.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mlxcpp/lm/load.h"
#include "mlxcpp/lm/sample.h"

namespace mlxcpp::lm {

struct GenerationOptions {
  int max_tokens = 256;
  SamplerOptions sampler;
  LogitsOptions logits;
  int prefill_step_size = 2048;
  std::vector<std::string> stop_strings;
  int top_logprobs = 0;        // alternatives reported per token
  std::optional<int> kv_bits;  // quantize the KV cache (mlx-lm's kv_bits) ...
  int kv_group_size = 64;
  int quantized_kv_start = 0;                 // ... once it holds this many tokens
  const std::atomic<bool>* cancel = nullptr;  // set from another thread to stop early
};

struct TokenLogprob {
  int token = 0;
  float logprob = 0;
};

/** One generated token. */
struct GeneratedToken {
  int token = 0;
  float logprob = 0;
  std::vector<TokenLogprob> top_logprobs;  // most likely first
};

/** Token ids as a [1, T] int32 batch. */
array token_batch(const std::vector<int>& ids);

/** Row i of logits [1, T, vocab], as [1, vocab]. */
array logits_at(const array& logits, int i);

/** Log-probabilities [1, vocab] of a logits row after the processors, given the tokens so
 *  far (prompt and generated). */
array next_token_logprobs(const array& logits_row, const std::vector<int>& tokens,
                          const LogitsOptions& options);

/** A token sampled from evaluated log-probabilities [1, vocab], with its log-probability and
 *  the top_k most likely alternatives. */
GeneratedToken sample_token(Sampler& sampler, const array& logprobs, int top_k);

/** Checks kv_bits, kv_group_size, quantized_kv_start and prefill_step_size
 *  (std::invalid_argument naming `who` and the bad option). */
void check_cache_options(const GenerationOptions& options, const char* who);

/** Checks, before any cache takes a token, what depends on the model: the logits and
 *  sampler options and the prompt's ids against its vocabulary, and kv_bits /
 *  kv_group_size against its attention heads, even when the cache may never reach
 *  quantized_kv_start (std::invalid_argument). Returns the
 *  vocabulary size. Works on a graph built on a scratch cache and never evaluated. */
int check_against_model(Model& model, const std::vector<int>& prompt,
                        const GenerationOptions& options, const char* who);

/** The model's logits for `tokens` after what `cache` holds, then the cache quantized as
 *  options.kv_bits asks once it holds quantized_kv_start tokens (mlx-lm's
 *  quantize_cache_fn). The settings must have passed check_against_model. */
array forward_quantized(Model& model, Cache& cache, const std::vector<int>& tokens,
                        const GenerationOptions& options);

/** Token-level generation (mlx-lm's generate_step): the first next() prefills the prompt
 *  (all but its last token in chunks of prefill_step_size), each call yields one token. */
class TokenGenerator {
 public:
  /** The model and cache must outlive the generator; the cache continues what it holds.
   *  Bad options or prompt ids are std::invalid_argument here, before the cache changes. */
  TokenGenerator(Model& model, Cache& cache, std::vector<int> prompt,
                 const GenerationOptions& options);
  GeneratedToken next();
  /** Seconds spent in the prefill (set by the first next()). */
  double prefill_seconds() const { return prefill_seconds_; }

 private:
  array step(const std::vector<int>& tokens);
  GeneratedToken pick(const array& logprobs);
  Model& model_;
  Cache& cache_;
  GenerationOptions options_;
  Sampler sampler_;
  std::vector<int> tokens_;  // prompt and generated, for the logits processors
  std::vector<int> pending_;
  bool prefilled_ = false;
  double prefill_seconds_ = 0;
};

struct GenerationResult {
  std::string text;
  std::vector<GeneratedToken> tokens;
  std::string finish_reason;  // "stop" (EOS or a stop string), "length" or "cancelled"
  int prompt_tokens = 0;
  double prompt_tokens_per_s = 0;
  int generation_tokens = 0;
  double generation_tokens_per_s = 0;
  size_t peak_memory = 0;  // bytes
};

/** A segment of final text and the token that completed it. */
using TextCallback = std::function<void(const std::string& text, const GeneratedToken& token)>;

/** Every generated token, in order, with the text that became final with it (often empty:
 *  a partial character, text held back for a possible stop string, an EOS); the last token
 *  also carries the text released when generation ends. As mlx-lm's one response per
 *  token, e.g. for log-probability listings. A token is reported once the next one is
 *  generated (or generation ends, also by an error), so that it can carry that text. */
using TokenCallback = std::function<void(const GeneratedToken& token, const std::string& text)>;

/** Generates from `prompt` ids with the model's tokenizer, calling on_text with each
 *  segment of text as it becomes final. Uses `cache` when given (continuing what it holds;
 *  the prompt is only the new tokens), else a fresh one. Throws std::invalid_argument for
 *  bad options or a model without a tokenizer. */
GenerationResult generate(const LoadedModel& model, const std::vector<int>& prompt,
                          const GenerationOptions& options, const TextCallback& on_text = {},
                          Cache* cache = nullptr, const TokenCallback& on_token = {});

/** Evaluates what the cache holds (after a prefill chunk, without computing its logits). */
void eval_cache(const Cache& cache);

/** The text side of generate(): pulls tokens from next_token until EOS, a stop string,
 *  max_tokens or cancellation, streaming final text (for other token sources, e.g.
 *  speculative decoding). A token the tokenizer does not know (a padded row of the
 *  embedding) adds no text. */
GenerationResult stream_generation(const LoadedModel& model, int prompt_tokens,
                                   const GenerationOptions& options,
                                   const std::function<GeneratedToken()>& next_token,
                                   const std::function<double()>& prefill_seconds,
                                   const TextCallback& on_text, const TokenCallback& on_token = {});

/** Throws std::invalid_argument for a model without a tokenizer or bad max_tokens. */
void check_generation(const LoadedModel& model, const GenerationOptions& options);

/** Holds back text that may be the start of a stop string: push() returns what can be
 *  emitted; stopped() tells whether a stop string was reached (its text is never emitted). */
class StopStringFilter {
 public:
  explicit StopStringFilter(std::vector<std::string> stops) : stops_(std::move(stops)) {}
  std::string push(const std::string& text);
  /** What is still held back (at the end of generation, it is emitted). */
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace mlxcpp::lm
