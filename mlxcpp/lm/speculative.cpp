#include "mlxcpp/lm/speculative.h"

#include <chrono>
#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/transforms.h"

namespace mlxcpp::lm {

namespace {

void rewind(Cache& cache, int n, const char* which) {
  for (auto& c : cache) {
    if (c->trim(n) != n) {
      throw Unsupported(std::string("[speculative] the ") + which +
                        " cache cannot rewind (a sliding-window cache past its window)");
    }
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
  if (prompt.empty()) {
    throw std::invalid_argument("[speculative] the prompt is empty");
  }
  if (num_draft < 1) {
    throw std::invalid_argument("[speculative] num_draft must be positive");
  }
  if (options.prefill_step_size < 1) {
    throw std::invalid_argument("[speculative] prefill_step_size must be positive");
  }
}

void SpeculativeGenerator::prefill() {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int> head(tokens_.begin(), tokens_.end() - 1);
  for (size_t done = 0; done < head.size();) {
    const size_t n = std::min<size_t>(options_.prefill_step_size, head.size() - done);
    const std::vector<int> chunk(head.begin() + long(done), head.begin() + long(done + n));
    model_(token_batch(chunk), &cache_);
    draft_(token_batch(chunk), &draft_cache_);
    eval_cache(cache_);
    eval_cache(draft_cache_);
    done += n;
  }
  model_input_ = {tokens_.back()};
  draft_input_ = {tokens_.back()};
  prefilled_ = true;
  prefill_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<int> SpeculativeGenerator::draft_tokens(int n) {
  std::vector<int> out;
  std::vector<int> input = draft_input_;
  std::vector<int> context = tokens_;
  for (int i = 0; i < n; ++i) {
    const array logits = draft_(token_batch(input), &draft_cache_);
    const int d = draft_sampler_.sample(
        next_token_logprobs(logits_at(logits, logits.shape(1) - 1), context, options_.logits));
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
  array logits = model_(token_batch(verify), &cache_);
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
    draft_input_ = {ready_.back().token};
  } else {
    draft_input_ = {drafts[n - 1], ready_.back().token};
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
                                      const TextCallback& on_text) {
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
      [&] { return gen.prefill_seconds(); }, on_text);
}

}  // namespace mlxcpp::lm
