// Token sampling and logits processing as mlx-lm's sample_utils: filters applied to the
// log-probabilities in mlx-lm's order (top_p, min_p, XTC, top_k) before sampling at the
// temperature; repetition, presence and frequency penalties and logit bias on the logits.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "mlxcpp/core/array.h"

namespace mlxcpp::lm {

struct SamplerOptions {
  float temp = 0.0f;   // 0: greedy (argmax)
  float top_p = 0.0f;  // used when in (0, 1)
  float min_p = 0.0f;
  int min_tokens_to_keep = 1;
  int top_k = 0;  // used when > 0
  float xtc_probability = 0.0f;
  float xtc_threshold = 0.1f;
  std::vector<int> xtc_special_tokens;
  uint64_t seed = 0;  // the sampler's random stream: the same seed gives the same tokens
};

/** Samples one token per call from log-probabilities; reproducible for a given seed. */
class Sampler {
 public:
  /** Checks the options (std::invalid_argument naming the bad one). */
  explicit Sampler(const SamplerOptions& options);
  /** A token id from logprobs [vocab] (or [1, vocab]); std::invalid_argument for another
   *  shape, or when they hold NaN or (after the filters) no finite value (the random
   *  stream is then left as it was). */
  int sample(const array& logprobs);
  /** The filtered log-probabilities sampling draws from (before the temperature). */
  array filter(const array& logprobs);

 private:
  int draw(const array& logprobs);  // sample() but for restoring the key when it throws
  SamplerOptions o_;
  array key_;
};

/** mlx-lm's filters, on log-probabilities [..., vocab] (-inf marks removed tokens). */
array apply_top_k(const array& logprobs, int k);
array apply_top_p(const array& logprobs, float top_p);
array apply_min_p(const array& logprobs, float min_p, int min_tokens_to_keep = 1);
/** Removes every token above the threshold but the least likely of them, with probability
 *  `probability` (decided by `key`); special tokens are never removed. */
array apply_xtc(const array& logits, float probability, float threshold,
                const std::vector<int>& special_tokens, const array& key);

// The penalties see the last *_context_size tokens of the prompt and the generated text
// together, and none for a size of 0. mlx-lm differs in both: its generate_step counts only
// the tokens fed one step at a time (after a chunked prefill, the prompt's last one), and
// its tokens[-0:] is every token.
struct LogitsOptions {
  std::map<int, float> logit_bias;
  std::optional<float> repetition_penalty;  // logit < 0: times penalty, else divided by it
  int repetition_context_size = 20;
  std::optional<float> presence_penalty;  // subtracted once per distinct recent token
  int presence_context_size = 20;
  std::optional<float> frequency_penalty;  // subtracted once per recent occurrence
  int frequency_context_size = 20;
};

/** Checks the options (std::invalid_argument naming the bad one). */
void validate(const LogitsOptions& options, int vocab_size);

/** Checks what in the sampler options depends on the vocabulary: xtc_special_tokens ids
 *  (std::invalid_argument). */
void validate(const SamplerOptions& options, int vocab_size);

/** The processors mlx-lm applies before sampling, given the tokens so far (prompt and
 *  generated), on logits [vocab] or [1, vocab]. */
array process_logits(const array& logits, const std::vector<int>& tokens,
                     const LogitsOptions& options);

}  // namespace mlxcpp::lm
