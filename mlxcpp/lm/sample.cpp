#include "mlxcpp/lm/sample.h"

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "mlxcpp/core/ops.h"
#include "mlxcpp/core/random.h"
#include "mlxcpp/core/transforms.h"

namespace mlxcpp::lm {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

void require(bool ok, const std::string& what) {
  if (!ok) {
    throw std::invalid_argument("[sampler] " + what);
  }
}

array minus_inf(Dtype t) {
  return array(-kInf, t);
}

array as_row(const array& a) {
  return a.ndim() == 1 ? expand_dims(a, 0) : a;
}

}  // namespace

array apply_top_k(const array& logprobs, int k) {
  const int vocab = logprobs.shape(-1);
  require(k > 0 && k < vocab,
          "top_k must be in (0, " + std::to_string(vocab) + "), got " + std::to_string(k));
  const array idx = argpartition(negative(logprobs), k - 1, -1);
  Shape start(idx.ndim(), 0), stop = idx.shape();
  start.back() = k;
  const array drop = slice(idx, start, stop);
  return put_along_axis(logprobs, drop, broadcast_to(minus_inf(logprobs.dtype()), drop.shape()),
                        -1);
}

array apply_top_p(const array& logprobs, float top_p) {
  require(top_p >= 0 && top_p <= 1, "top_p must be in [0, 1], got " + std::to_string(top_p));
  const array probs = exp(logprobs);
  const array order = argsort(logprobs, -1);
  const array cumulative = cumsum(take_along_axis(probs, order, -1), -1);
  const int vocab = logprobs.shape(-1);
  const array positions = broadcast_to(arange(0, vocab, order.dtype()), order.shape());
  const array inverse = put_along_axis(zeros_like(order), order, positions, -1);
  const array cum = take_along_axis(cumulative, inverse, -1);
  // The most likely token always stays: with a tiny top_p, 1 - top_p rounds to 1 and the
  // float total can fall short of it, which would remove every token.
  const array keep = logical_or(greater(cum, array(1.0f - top_p, cum.dtype())),
                                equal(inverse, array(vocab - 1, inverse.dtype())));
  return where(keep, logprobs, minus_inf(logprobs.dtype()));
}

array apply_min_p(const array& logprobs, float min_p, int min_tokens_to_keep) {
  require(min_p >= 0 && min_p <= 1, "min_p must be in [0, 1], got " + std::to_string(min_p));
  require(min_tokens_to_keep >= 1, "min_tokens_to_keep must be positive");
  const array top = max(logprobs, -1, true);
  const array threshold = add(top, array(std::log(min_p), logprobs.dtype()));
  array remove = less(logprobs, threshold);
  if (min_tokens_to_keep > 1) {
    const int vocab = logprobs.shape(-1);
    const int keep = std::min(min_tokens_to_keep, vocab);
    const array idx = argpartition(logprobs, vocab - keep, -1);
    Shape start(idx.ndim(), 0), stop = idx.shape();
    start.back() = vocab - keep;
    const array kept = slice(idx, start, stop);
    remove = put_along_axis(remove, kept, broadcast_to(array(false), kept.shape()), -1);
  }
  return where(remove, minus_inf(logprobs.dtype()), logprobs);
}

array apply_xtc(const array& logits, float probability, float threshold,
                const std::vector<int>& special_tokens, const array& key) {
  require(threshold >= 0 && threshold <= 0.5f, "xtc_threshold must be in [0, 0.5]");
  require(probability >= 0 && probability <= 1, "xtc_probability must be in [0, 1]");
  const array probs = softmax(logits, -1);
  const array above =
      where(greater(probs, array(threshold, probs.dtype())), probs, array(kInf, probs.dtype()));
  array mask = greater(probs, min(above, -1, true));
  if (!special_tokens.empty()) {
    const int vocab = logits.shape(-1);
    std::vector<bool> special(vocab, false);
    for (int t : special_tokens) {
      require(t >= 0 && t < vocab, "xtc_special_tokens holds an id outside the vocabulary");
      special[t] = true;
    }
    std::vector<uint8_t> keep(vocab);
    for (int i = 0; i < vocab; ++i) {
      keep[i] = special[i] ? 0 : 1;
    }
    mask = logical_and(mask, astype(array(keep.begin(), {vocab}, uint8), bool_));
  }
  const array roll = random::uniform(Shape{}, float32, key);
  return where(greater(roll, array(probability)), logits,
               where(mask, minus_inf(logits.dtype()), logits));
}

Sampler::Sampler(const SamplerOptions& o) : o_(o), key_(random::key(o.seed)) {
  require(o.temp >= 0 && std::isfinite(o.temp) && (o.temp == 0 || std::isfinite(1.0f / o.temp)),
          "temp must be finite and >= 0 (and not so small that 1 / temp overflows)");
  require(o.top_p >= 0 && o.top_p <= 1, "top_p must be in [0, 1]");
  require(o.min_p >= 0 && o.min_p <= 1, "min_p must be in [0, 1]");
  require(o.min_tokens_to_keep >= 1, "min_tokens_to_keep must be positive");
  require(o.top_k >= 0, "top_k must be >= 0");
  require(o.xtc_probability >= 0 && o.xtc_probability <= 1, "xtc_probability must be in [0, 1]");
  require(o.xtc_threshold >= 0 && o.xtc_threshold <= 0.5f, "xtc_threshold must be in [0, 0.5]");
}

array Sampler::filter(const array& logprobs) {
  array x = as_row(logprobs);
  if (o_.top_p > 0 && o_.top_p < 1) {
    x = apply_top_p(x, o_.top_p);
  }
  if (o_.min_p != 0) {
    x = apply_min_p(x, o_.min_p, o_.min_tokens_to_keep);
  }
  if (o_.xtc_probability > 0) {
    auto [next, sub] = random::split(key_);
    key_ = next;
    x = apply_xtc(x, o_.xtc_probability, o_.xtc_threshold, o_.xtc_special_tokens, sub);
  }
  if (o_.top_k > 0 && o_.top_k < x.shape(-1)) {
    x = apply_top_k(x, o_.top_k);
  }
  return x;
}

int Sampler::sample(const array& logprobs) {
  const array key_before = key_;
  try {
    return draw(logprobs);
  } catch (...) {
    key_ = key_before;  // a failed call uses up no randomness
    throw;
  }
}

int Sampler::draw(const array& logprobs) {
  require(logprobs.ndim() == 1 || (logprobs.ndim() == 2 && logprobs.shape(0) == 1),
          "expected the log-probabilities of one token ([vocab] or [1, vocab]), got " +
              std::to_string(logprobs.ndim()) + " dimensions of " +
              std::to_string(logprobs.size()) + " values");
  array token = array(0);
  array x = logprobs;
  if (o_.temp == 0) {
    token = argmax(reshape(logprobs, {-1}));
  } else {
    x = filter(logprobs);
    auto [next, sub] = random::split(key_);
    key_ = next;
    token = random::categorical(multiply(x, array(1.0f / o_.temp, x.dtype())), -1, sub);
  }
  // A NaN (a +inf logit becomes one in log_softmax), or no finite value left, leaves no
  // distribution to sample: an error rather than an arbitrary token.
  const array broken = logical_or(any(isnan(x)), logical_not(isfinite(max(x))));
  eval({token, broken});
  if (broken.item<bool>()) {
    throw std::invalid_argument(
        "[sampler] the log-probabilities hold NaN or no finite value (a broken model output?)");
  }
  return static_cast<int>(astype(reshape(token, {}), int32).item<int32_t>());
}

void validate(const LogitsOptions& o, int vocab) {
  for (const auto& [id, bias] : o.logit_bias) {
    if (id < 0 || id >= vocab) {
      throw std::invalid_argument("[sampler] logit_bias id " + std::to_string(id) +
                                  " is outside the vocabulary of " + std::to_string(vocab));
    }
    require(std::isfinite(bias), "logit_bias values must be finite");
  }
  require(
      !o.repetition_penalty || (*o.repetition_penalty >= 0 && std::isfinite(*o.repetition_penalty)),
      "repetition_penalty must be finite and >= 0");
  require(!o.presence_penalty || std::isfinite(*o.presence_penalty),
          "presence_penalty must be finite");
  require(!o.frequency_penalty || std::isfinite(*o.frequency_penalty),
          "frequency_penalty must be finite");
  require(o.repetition_context_size >= 0 && o.presence_context_size >= 0 &&
              o.frequency_context_size >= 0,
          "context sizes must be >= 0");
}

void validate(const SamplerOptions& o, int vocab) {
  for (int t : o.xtc_special_tokens) {
    if (t < 0 || t >= vocab) {
      throw std::invalid_argument("[sampler] xtc_special_tokens id " + std::to_string(t) +
                                  " is outside the vocabulary of " + std::to_string(vocab));
    }
  }
}

namespace {

// The last n tokens that index the vocabulary.
std::vector<int> recent(const std::vector<int>& tokens, int n, int vocab) {
  std::vector<int> out;
  const size_t from = tokens.size() > size_t(n) ? tokens.size() - n : 0;
  for (size_t i = from; i < tokens.size(); ++i) {
    if (tokens[i] >= 0 && tokens[i] < vocab) {
      out.push_back(tokens[i]);
    }
  }
  return out;
}

array index_array(const std::vector<int>& ids) {
  return array(ids.begin(), {int(ids.size())}, int32);
}

}  // namespace

array process_logits(const array& logits_in, const std::vector<int>& tokens,
                     const LogitsOptions& o) {
  array logits = as_row(logits_in);
  const int vocab = logits.shape(-1);
  if (!o.logit_bias.empty()) {
    std::vector<int> ids;
    std::vector<float> values;
    for (const auto& [id, v] : o.logit_bias) {
      ids.push_back(id);
      values.push_back(v);
    }
    const array cols = index_array(ids);
    const array upd =
        reshape(astype(array(values.begin(), {int(values.size())}, float32), logits.dtype()),
                {1, int(ids.size())});
    logits = put_along_axis(logits, expand_dims(cols, 0), add(take(logits, cols, 1), upd), -1);
  }
  if (o.repetition_penalty && *o.repetition_penalty != 0) {
    const auto ids = recent(tokens, o.repetition_context_size, vocab);
    if (!ids.empty()) {
      const array cols = index_array(ids);
      const array sel = take(logits, cols, 1);
      const array p(*o.repetition_penalty, logits.dtype());
      const array pen =
          where(less(sel, array(0.0f, sel.dtype())), multiply(sel, p), divide(sel, p));
      logits = put_along_axis(logits, expand_dims(cols, 0), pen, -1);
    }
  }
  if (o.presence_penalty && *o.presence_penalty != 0) {
    const auto ids = recent(tokens, o.presence_context_size, vocab);
    if (!ids.empty()) {
      const std::set<int> distinct(ids.begin(), ids.end());
      const array cols = index_array({distinct.begin(), distinct.end()});
      const array sel = take(logits, cols, 1);
      logits = put_along_axis(logits, expand_dims(cols, 0),
                              subtract(sel, array(*o.presence_penalty, logits.dtype())), -1);
    }
  }
  if (o.frequency_penalty && *o.frequency_penalty != 0) {
    const auto ids = recent(tokens, o.frequency_context_size, vocab);
    if (!ids.empty()) {
      const array cols = index_array(ids);
      const array pen = full({1, int(ids.size())}, -*o.frequency_penalty, logits.dtype());
      logits = scatter_add_axis(logits, expand_dims(cols, 0), pen, -1);
    }
  }
  return logits;
}

}  // namespace mlxcpp::lm
