#include "mlxcpp/lm/generate.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>

#include "mlxcpp/core/memory.h"
#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/transforms.h"
#include "mlxcpp/lm/attention.h"
#include "mlxcpp/tokenizer/tokenizer.h"

namespace mlxcpp::lm {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

array token_batch(const std::vector<int>& ids) {
  return array(ids.begin(), {1, int(ids.size())}, int32);
}

array logits_at(const array& logits, int i) {
  return reshape(slice(logits, {0, i, 0}, {1, i + 1, logits.shape(2)}), {1, logits.shape(2)});
}

array next_token_logprobs(const array& logits_row, const std::vector<int>& tokens,
                          const LogitsOptions& options) {
  const array logits = process_logits(astype(logits_row, float32), tokens, options);
  return subtract(logits, logsumexp(logits, -1, true));
}

GeneratedToken sample_token(Sampler& sampler, const array& logprobs, int top_k) {
  GeneratedToken g;
  g.token = sampler.sample(logprobs);
  const array flat = reshape(logprobs, {-1});
  g.logprob = take(flat, g.token).item<float>();
  if (top_k > 0) {
    const int k = std::min(top_k, flat.shape(0));
    array order = slice(argsort(negative(flat)), {0}, {k});
    array values = take(flat, order);
    eval(order, values);
    for (int i = 0; i < k; ++i) {
      g.top_logprobs.push_back({int(order.data<uint32_t>()[i]), values.data<float>()[i]});
    }
  }
  return g;
}

void check_cache_options(const GenerationOptions& o, const char* who) {
  if (o.prefill_step_size < 1) {
    throw std::invalid_argument(std::string("[") + who + "] prefill_step_size must be positive");
  }
  if (!o.kv_bits) {
    return;
  }
  if (o.quantized_kv_start < 0) {
    throw std::invalid_argument(std::string("[") + who + "] quantized_kv_start must be >= 0");
  }
  try {
    QuantizedKVCache(o.kv_group_size, *o.kv_bits);  // the one place that knows the formats
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("[") + who + "] kv_bits / kv_group_size: " + e.what());
  }
}

int check_against_model(Model& model, const std::vector<int>& prompt,
                        const GenerationOptions& options, const char* who) {
  if (prompt.empty()) {
    throw std::invalid_argument(std::string("[") + who + "] the prompt is empty");
  }
  Cache scratch = model.make_cache();
  const int vocab = model(token_batch({0}), &scratch).shape(-1);
  validate(options.logits, vocab);
  validate(options.sampler, vocab);
  for (int id : prompt) {
    if (id < 0 || id >= vocab) {
      throw std::invalid_argument(std::string("[") + who + "] prompt token id " +
                                  std::to_string(id) + " is outside the model's vocabulary of " +
                                  std::to_string(vocab));
    }
  }
  if (options.kv_bits) {
    // Quantizing the scratch cache now finds a group size the heads reject, which would
    // otherwise surface once the real cache reaches quantized_kv_start.
    try {
      maybe_quantize_kv_cache(scratch, 0, options.kv_group_size, *options.kv_bits);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("[") + who + "] kv_bits " +
                                  std::to_string(*options.kv_bits) + " with kv_group_size " +
                                  std::to_string(options.kv_group_size) +
                                  " does not fit this model's attention heads: " + e.what());
    }
    // A layer that cannot attend over quantized keys (Gemma 2's soft-capping) says so as the
    // graph is built: now, before any token is generated.
    model(token_batch({0}), &scratch);
  }
  return vocab;
}

array forward_quantized(Model& model, Cache& cache, const std::vector<int>& tokens,
                        const GenerationOptions& options) {
  array logits = model(token_batch(tokens), &cache);
  if (options.kv_bits) {
    maybe_quantize_kv_cache(cache, options.quantized_kv_start, options.kv_group_size,
                            *options.kv_bits);
  }
  return logits;
}

TokenGenerator::TokenGenerator(Model& model, Cache& cache, std::vector<int> prompt,
                               const GenerationOptions& options)
    : model_(model),
      cache_(cache),
      options_(options),
      sampler_(options.sampler),
      tokens_(prompt),
      pending_(std::move(prompt)) {
  if (options_.top_logprobs < 0) {
    throw std::invalid_argument("[generate] top_logprobs must be >= 0");
  }
  check_cache_options(options_, "generate");
  check_against_model(model_, pending_, options_, "generate");
}

void eval_cache(const Cache& cache) {
  std::vector<array> arrays;
  for (const auto& c : cache) {
    for (const auto& [name, a] : c->state()) {
      arrays.push_back(a);
    }
  }
  eval(arrays);
}

array TokenGenerator::step(const std::vector<int>& tokens) {
  const array logits = forward_quantized(model_, cache_, tokens, options_);
  return next_token_logprobs(logits_at(logits, logits.shape(1) - 1), tokens_, options_.logits);
}

GeneratedToken TokenGenerator::pick(const array& lp) {
  GeneratedToken g = sample_token(sampler_, lp, options_.top_logprobs);
  tokens_.push_back(g.token);
  return g;
}

GeneratedToken TokenGenerator::next() {
  if (prefilled_) {
    array lp = step({tokens_.back()});
    lp.eval();
    return pick(lp);
  }
  const auto start = Clock::now();
  // All but the last prompt token in chunks (mlx-lm evaluates the cache after each); the
  // last one goes through step() for the first token's logits.
  size_t done = 0;
  while (pending_.size() - done > 1) {
    const size_t n = std::min<size_t>(options_.prefill_step_size, pending_.size() - 1 - done);
    forward_quantized(model_, cache_, {pending_.begin() + done, pending_.begin() + done + n},
                      options_);
    eval_cache(cache_);
    done += n;
  }
  array lp = step({pending_.begin() + done, pending_.end()});
  lp.eval();
  prefilled_ = true;
  pending_.clear();
  prefill_seconds_ = seconds_since(start);
  return pick(lp);
}

std::string StopStringFilter::push(const std::string& text) {
  if (stopped_) {
    return "";
  }
  held_ += text;
  size_t cut = std::string::npos;
  for (const auto& s : stops_) {
    if (s.empty()) {
      continue;
    }
    const size_t at = held_.find(s);
    if (at != std::string::npos && (cut == std::string::npos || at < cut)) {
      cut = at;
    }
  }
  if (cut != std::string::npos) {
    stopped_ = true;
    std::string out = held_.substr(0, cut);
    held_.clear();
    return out;
  }
  // Keep the longest tail that is a proper prefix of a stop string.
  size_t keep = 0;
  for (const auto& s : stops_) {
    for (size_t n = std::min(s.size() - (s.empty() ? 0 : 1), held_.size()); n > keep; --n) {
      if (held_.compare(held_.size() - n, n, s, 0, n) == 0) {
        keep = n;
        break;
      }
    }
  }
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopStringFilter::flush() {
  std::string out;
  if (!stopped_) {
    out.swap(held_);
  }
  return out;
}

GenerationResult stream_generation(const LoadedModel& model, int prompt_tokens,
                                   const GenerationOptions& options,
                                   const std::function<GeneratedToken()>& next_token,
                                   const std::function<double()>& prefill_seconds,
                                   const TextCallback& on_text, const TokenCallback& on_token) {
  std::set<int> eos(model.eos_token_ids.begin(), model.eos_token_ids.end());
  for (int id : model.tokenizer->eos_token_ids()) {
    eos.insert(id);
  }
  GenerationResult result;
  result.prompt_tokens = prompt_tokens;
  result.finish_reason = "length";
  reset_peak_memory();
  StreamingDetokenizer detok(*model.tokenizer);
  StopStringFilter stops(options.stop_strings);
  // Each token reaches on_token once the next one arrives (or generation ends), so that
  // the text released at the end joins the last token's.
  bool pending = false;
  GeneratedToken pending_token;
  std::string pending_text;
  auto report = [&] {
    if (pending && on_token) {
      on_token(pending_token, pending_text);
    }
    pending = false;
    pending_text.clear();
  };
  auto emit = [&](const std::string& text, const GeneratedToken& t) {
    if (pending) {
      pending_text += text;
    }
    if (!text.empty()) {
      result.text += text;
      if (on_text) {
        on_text(text, t);
      }
    }
  };
  Clock::time_point gen_start = Clock::now();
  GeneratedToken last;
  for (int n = 0; n < options.max_tokens; ++n) {
    if (options.cancel && options.cancel->load()) {
      result.finish_reason = "cancelled";
      break;
    }
    try {
      last = next_token();
    } catch (...) {
      report();  // the last token before the failure (if on_token throws, that error wins)
      throw;
    }
    if (n == 0) {
      gen_start = Clock::now();
    }
    result.tokens.push_back(last);
    report();
    pending = true;
    pending_token = last;
    if (eos.count(last.token)) {
      result.finish_reason = "stop";
      break;
    }
    if (model.tokenizer->id_to_token(last.token)) {
      detok.add_token(last.token);
      emit(stops.push(detok.last_segment()), last);
    }
    if (stops.stopped()) {
      result.finish_reason = "stop";
      break;
    }
  }
  if (!stops.stopped()) {
    detok.finalize();
    emit(stops.push(detok.last_segment()), last);
    emit(stops.flush(), last);
    if (stops.stopped() && result.finish_reason == "length") {
      result.finish_reason = "stop";  // the stop string ended in the last character's bytes
    }
  }
  report();
  result.generation_tokens = int(result.tokens.size());
  if (result.prompt_tokens > 0 && prefill_seconds() > 0) {
    result.prompt_tokens_per_s = result.prompt_tokens / prefill_seconds();
  }
  if (result.generation_tokens > 1) {
    result.generation_tokens_per_s = (result.generation_tokens - 1) / seconds_since(gen_start);
  }
  result.peak_memory = get_peak_memory();
  return result;
}

void check_generation(const LoadedModel& model, const GenerationOptions& options) {
  if (!model.tokenizer) {
    throw std::invalid_argument("[generate] the model folder has no tokenizer");
  }
  if (options.max_tokens < 0) {
    throw std::invalid_argument("[generate] max_tokens must be >= 0");
  }
}

GenerationResult generate(const LoadedModel& model, const std::vector<int>& prompt,
                          const GenerationOptions& options, const TextCallback& on_text,
                          Cache* cache, const TokenCallback& on_token) {
  check_generation(model, options);
  Cache own;
  if (cache == nullptr) {
    own = model.model->make_cache();
    cache = &own;
  }
  TokenGenerator gen(*model.model, *cache, prompt, options);
  return stream_generation(
      model, int(prompt.size()), options, [&] { return gen.next(); },
      [&] { return gen.prefill_seconds(); }, on_text, on_token);
}

}  // namespace mlxcpp::lm
