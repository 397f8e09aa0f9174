#include "mlxcpp/lm/speculative.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/transforms.h"
#include "mlxcpp/lm/prompt_cache.h"

namespace mlxcpp::lm {

namespace {

// Every layer or none: a layer that cannot rewind leaves the others as they were.
void rewind(Cache& cache, int n, const char* which) {
  if (n > 0 && trim_prompt_cache(cache, n) != n) {
    throw Unsupported(std::string("[speculative] the ") + which +
                      " cache cannot rewind (a sliding-window cache past its window)");
  }
}

}  // namespace

SpeculativeGenerator::SpeculativeGenerator(Model& model, Cache& cache, Model& draft,
                                           Cache& draft_cache, std::vector<int> prompt,
                                           const GenerationOptions& options, int num_draft)
    : model_(model),
      cache_(cache),
      draft_(draft),
      draft_cache_(draft_cache),
      options_(options),
      sampler_(options.sampler),
      draft_sampler_([&] {
        SamplerOptions d = options.sampler;
        d.seed = d.seed ^ 0x9e3779b97f4a7c15ull;  // an independent stream for proposals
        return d;
      }()),
      num_draft_(num_draft),
      tokens_(prompt) {
  if (num_draft < 1) {
    throw std::invalid_argument("[speculative] num_draft must be positive");
  }
  if (options.top_logprobs < 0) {
    throw std::invalid_argument("[speculative] top_logprobs must be >= 0");
  }
  check_cache_options(options, "speculative");
  // Both models sample under the same options: each must take them.
  model_vocab_ = check_against_model(model, tokens_, options, "speculative");
  // The draft sees the prompt through for_draft, so only the options must fit its vocabulary.
  draft_vocab_ = check_against_model(draft, {0}, options, "speculative (draft model)");
  // Rewinding past rejected proposals needs caches that can drop tokens: a convolution state
  // never can, a sliding-window layer not once its window has filled. The longest run
  // max_tokens allows, with a round of proposals past it, must stay inside every window.
  const int64_t longest = int64_t(tokens_.size()) + options.max_tokens + num_draft + 1;
  for (const Cache* c : {&cache, &draft_cache}) {
    for (const auto& layer : *c) {
      const auto* window = dynamic_cast<const RotatingKVCache*>(layer.get());
      if (!layer->is_trimmable() || (window && longest >= window->max_size())) {
        throw std::invalid_argument(
            "[speculative] speculative decoding needs caches that can rewind: this model has " +
            layer->class_name() +
            " layers (a convolution state, or a sliding window the prompt and max_tokens "
            "outgrow)");
      }
    }
  }
}

int SpeculativeGenerator::for_draft(int token) const {
  // A model with more (padding) rows than the draft can sample an id the draft lacks: the
  // draft sees id 0 instead. Its proposals may suffer; the output, verified by the model,
  // does not.
  return token < draft_vocab_ ? token : 0;
}

void SpeculativeGenerator::prefill() {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int> head(tokens_.begin(), tokens_.end() - 1);
  for (size_t done = 0; done < head.size();) {
    const size_t n = std::min<size_t>(options_.prefill_step_size, head.size() - done);
    const std::vector<int> chunk(head.begin() + long(done), head.begin() + long(done + n));
    std::vector<int> draft_chunk(chunk.size());
    std::transform(chunk.begin(), chunk.end(), draft_chunk.begin(),
                   [this](int t) { return for_draft(t); });
    forward_quantized(model_, cache_, chunk, options_);
    forward_quantized(draft_, draft_cache_, draft_chunk, options_);
    eval_cache(cache_);
    eval_cache(draft_cache_);
    done += n;
  }
  model_input_ = {tokens_.back()};
  draft_input_ = {for_draft(tokens_.back())};
  prefilled_ = true;
  prefill_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<int> SpeculativeGenerator::draft_tokens(int n) {
  std::vector<int> out;
  std::vector<int> input = draft_input_;
  std::vector<int> context = tokens_;
  for (int i = 0; i < n; ++i) {
    const array logits = forward_quantized(draft_, draft_cache_, input, options_);
    array row = logits_at(logits, logits.shape(1) - 1);
    if (row.shape(1) > model_vocab_) {
      // A draft with more (padding) rows than the model must not propose ids it lacks.
      row = slice(row, {0, 0}, {1, model_vocab_});
    }
    const int d = draft_sampler_.sample(next_token_logprobs(row, context, options_.logits));
    out.push_back(d);
    context.push_back(d);
    input = {d};
  }
  return out;
}

GeneratedToken SpeculativeGenerator::pick(const array& logits_row) {
  array lp = next_token_logprobs(logits_row, tokens_, options_.logits);
  lp.eval();
  GeneratedToken g = sample_token(sampler_, lp, options_.top_logprobs);
  tokens_.push_back(g.token);
  return g;
}

void SpeculativeGenerator::round() {
  const int n = num_draft_;
  const std::vector<int> drafts = draft_tokens(n);
  std::vector<int> verify = model_input_;
  verify.insert(verify.end(), drafts.begin(), drafts.end());
  array logits = forward_quantized(model_, cache_, verify, options_);
  logits.eval();
  const int first = int(model_input_.size()) - 1;  // the row predicting the first draft
  int a = 0;
  while (true) {
    GeneratedToken t = pick(logits_at(logits, first + a));
    const bool matches = a < n && t.token == drafts[a];
    ready_.push_back(std::move(t));
    if (!matches) {
      break;
    }
    ++a;
  }
  drafted_ += n;
  accepted_ += a;
  // The model saw model_input_ and all n drafts; keep the a accepted ones.
  rewind(cache_, n - a, "model");
  model_input_ = {ready_.back().token};
  if (a < n) {
    // The draft model saw draft_input_ and drafts 1..n-1.
    rewind(draft_cache_, n - 1 - a, "draft");
    draft_input_ = {for_draft(ready_.back().token)};
  } else {
    draft_input_ = {drafts[n - 1], for_draft(ready_.back().token)};
  }
}

GeneratedToken SpeculativeGenerator::next() {
  if (!prefilled_) {
    prefill();
  }
  if (ready_.empty()) {
    round();
  }
  GeneratedToken t = std::move(ready_.front());
  ready_.pop_front();
  return t;
}

GenerationResult generate_speculative(const LoadedModel& model, const LoadedModel& draft,
                                      const std::vector<int>& prompt,
                                      const GenerationOptions& options, int num_draft,
                                      const TextCallback& on_text, const TokenCallback& on_token) {
  check_generation(model, options);
  if (draft.tokenizer && model.tokenizer &&
      draft.tokenizer->vocab_size() != model.tokenizer->vocab_size()) {
    throw std::invalid_argument("[speculative] the draft model's vocabulary (" +
                                std::to_string(draft.tokenizer->vocab_size()) +
                                ") differs from the model's (" +
                                std::to_string(model.tokenizer->vocab_size()) + ")");
  }
  Cache cache = model.model->make_cache();
  Cache draft_cache = draft.model->make_cache();
  SpeculativeGenerator gen(*model.model, cache, *draft.model, draft_cache, prompt, options,
                           num_draft);
  return stream_generation(
      model, int(prompt.size()), options, [&] { return gen.next(); },
      [&] { return gen.prefill_seconds(); }, on_text, on_token);
}

}  // namespace mlxcpp::lm
