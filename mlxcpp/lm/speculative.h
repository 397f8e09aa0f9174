// Speculative decoding (mlx-lm's speculative_generate_step): a small draft model proposes
// tokens, the model verifies them all in one forward pass, and the caches are rewound past
// the first rejected proposal. At temperature 0 the output is exactly the model's alone.
#pragma once

#include <deque>

#include "mlxcpp/lm/generate.h"

namespace mlxcpp::lm {

class SpeculativeGenerator {
 public:
  /** Both models must share the vocabulary; their caches must be able to rewind for the
   *  whole run (standard or quantized KV caches; sliding windows only when the prompt and
   *  options.max_tokens fit inside them; no convolution states). num_draft tokens
   * are proposed per round. Bad options, prompt ids or caches are std::invalid_argument here,
   * before either cache changes. */
  SpeculativeGenerator(Model& model, Cache& cache, Model& draft, Cache& draft_cache,
                       std::vector<int> prompt, const GenerationOptions& options, int num_draft);
  GeneratedToken next();
  double prefill_seconds() const { return prefill_seconds_; }
  /** Proposals made and accepted so far. */
  int drafted() const { return drafted_; }
  int accepted() const { return accepted_; }

 private:
  int for_draft(int token) const;  // the id the draft model is fed for a model token
  void prefill();
  void round();
  GeneratedToken pick(const array& logits_row);
  std::vector<int> draft_tokens(int n);

  Model& model_;
  Cache& cache_;
  Model& draft_;
  Cache& draft_cache_;
  GenerationOptions options_;
  Sampler sampler_;
  Sampler draft_sampler_;
  int num_draft_;
  int model_vocab_ = 0;
  int draft_vocab_ = 0;
  std::vector<int> tokens_;       // prompt and emitted tokens (for the logits processors)
  std::vector<int> model_input_;  // fed to the model before the next round's proposals
  std::vector<int> draft_input_;  // fed to the draft model before it proposes
  std::deque<GeneratedToken> ready_;
  bool prefilled_ = false;
  double prefill_seconds_ = 0;
  int drafted_ = 0;
  int accepted_ = 0;
};

/** generate() with a draft model (see SpeculativeGenerator); `draft` must use the same
 *  tokenizer vocabulary. */
GenerationResult generate_speculative(const LoadedModel& model, const LoadedModel& draft,
                                      const std::vector<int>& prompt,
                                      const GenerationOptions& options, int num_draft = 3,
                                      const TextCallback& on_text = {},
                                      const TokenCallback& on_token = {});

}  // namespace mlxcpp::lm
