// Generation and sampling: mlx-lm's greedy continuation and top-5 log-probabilities through
// TokenGenerator (chunked prefill), text streaming with EOS and stop strings, the sampler
// filters on known distributions, seeded statistics, logits processors and cancellation.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <thread>

#include "mlxcpp/lm/generate.h"
#include "mlxcpp/mlxcpp.h"
#include "model_folder_test.h"
#include "test_helpers.h"

namespace mlxcpp::test {
namespace {

using lm::GenerationOptions;

nlohmann::json greedy_golden(const std::string& folder) {
  return read_json(fixture("lm/" + folder + "/golden/greedy.json"));
}

const lm::LoadedModel& llama() {
  static const lm::LoadedModel m = lm::load(fixture("lm/llama"));
  return m;
}

TEST(Generate, GreedyTokensAndTop5MatchMlxLmWithChunkedPrefill) {
  const auto g = greedy_golden("llama");
  auto& m = llama();
  for (int chunk : {4, 2048}) {
    SCOPED_TRACE(chunk);
    lm::Cache cache = m.model->make_cache();
    GenerationOptions o;
    o.prefill_step_size = chunk;
    o.top_logprobs = 5;
    lm::TokenGenerator gen(*m.model, cache, g["prompt_ids"].get<std::vector<int>>(), o);
    const auto want = g["generated_ids"].get<std::vector<int>>();
    for (size_t i = 0; i < want.size(); ++i) {
      const auto t = gen.next();
      ASSERT_EQ(t.token, want[i]) << "step " << i;
      const auto& top = g["top5_per_step"][i];
      ASSERT_EQ(t.top_logprobs.size(), 5u);
      for (int j = 0; j < 5; ++j) {
        EXPECT_EQ(t.top_logprobs[j].token, top["ids"][j].get<int>()) << "step " << i;
        // The llama folder's logits tolerance (index.json), which log_softmax keeps.
        EXPECT_NEAR(t.top_logprobs[j].logprob, top["logprobs"][j].get<float>(), 2e-4);
      }
      EXPECT_FLOAT_EQ(t.logprob, t.top_logprobs[0].logprob);
    }
  }
}

TEST(Generate, StreamsTheDecodedTextAndStopsAtLength) {
  const auto g = greedy_golden("llama");
  auto& m = llama();
  const auto prompt = g["prompt_ids"].get<std::vector<int>>();
  const auto want = g["generated_ids"].get<std::vector<int>>();
  GenerationOptions o;
  o.max_tokens = int(want.size());
  std::string streamed;
  int calls = 0;
  const auto r =
      lm::generate(m, prompt, o, [&](const std::string& text, const lm::GeneratedToken&) {
        streamed += text;
        ++calls;
      });
  EXPECT_EQ(r.finish_reason, "length");
  ASSERT_EQ(r.tokens.size(), want.size());
  EXPECT_EQ(r.text, m.tokenizer->decode(std::vector<int32_t>(want.begin(), want.end())));
  EXPECT_EQ(streamed, r.text);
  EXPECT_GT(calls, 1);
  EXPECT_EQ(r.prompt_tokens, int(prompt.size()));
  EXPECT_EQ(r.generation_tokens, int(want.size()));
  EXPECT_GT(r.generation_tokens_per_s, 0);
  EXPECT_GT(r.peak_memory, 0u);
}

TEST(Generate, StopStringsAreNeverEmittedEvenAcrossTokens) {
  const auto g = greedy_golden("llama");
  auto& m = llama();
  const auto prompt = g["prompt_ids"].get<std::vector<int>>();
  const auto want = g["generated_ids"].get<std::vector<int>>();
  const std::string full = m.tokenizer->decode(std::vector<int32_t>(want.begin(), want.end()));
  // A stop string made of the end of one token's text and the start of the next's.
  const std::string t3 = m.tokenizer->decode(std::vector<int32_t>(want.begin(), want.begin() + 3));
  const std::string t4 = m.tokenizer->decode(std::vector<int32_t>(want.begin(), want.begin() + 4));
  ASSERT_GT(t4.size(), t3.size());
  const std::string stop = t3.substr(t3.size() - 1) + t4.substr(t3.size(), 1);
  const size_t at = full.find(stop);
  ASSERT_NE(at, std::string::npos);
  GenerationOptions o;
  o.max_tokens = 32;
  o.stop_strings = {"never appears", stop};
  std::string streamed;
  const auto r = lm::generate(
      m, prompt, o, [&](const std::string& text, const lm::GeneratedToken&) { streamed += text; });
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.text, full.substr(0, at));
  EXPECT_EQ(streamed, r.text);
}

TEST(Generate, EosEndsGenerationWithoutText) {
  auto& m = llama();
  GenerationOptions o;
  o.logits.logit_bias = {{509, 100.0f}};
  const auto r = lm::generate(m, {508, 284, 10}, o);
  EXPECT_EQ(r.finish_reason, "stop");
  ASSERT_EQ(r.tokens.size(), 1u);
  EXPECT_EQ(r.tokens[0].token, 509);
  EXPECT_EQ(r.text, "");
}

TEST(Generate, CancelFromAnotherThread) {
  auto& m = llama();
  std::atomic<bool> cancel{false};
  std::atomic<int> seen{0};
  GenerationOptions o;
  o.max_tokens = 1000000;
  o.cancel = &cancel;
  std::thread stopper([&] {
    while (seen.load() < 3) {
      std::this_thread::yield();
    }
    cancel = true;
  });
  const auto r =
      lm::generate(m, {508, 284, 10}, o,
                   [&](const std::string&, const lm::GeneratedToken&) { seen.fetch_add(1); });
  stopper.join();
  EXPECT_EQ(r.finish_reason, "cancelled");
  EXPECT_GE(r.tokens.size(), 3u);
  EXPECT_LT(r.tokens.size(), 1000000u);
}

TEST(Generate, QuantizedKvCacheFromAStartOffset) {
  const auto g = greedy_golden("qwen3");
  const lm::LoadedModel m = lm::load(fixture("lm/qwen3"));  // head_dim 32: one group of 32
  const auto prompt = g["prompt_ids"].get<std::vector<int>>();
  const auto want = g["generated_ids"].get<std::vector<int>>();
  lm::GenerationOptions o;
  o.kv_bits = 8;
  o.kv_group_size = 32;
  o.quantized_kv_start = int(prompt.size()) + 4;
  o.top_logprobs = 1;
  lm::Cache cache = m.model->make_cache();
  lm::TokenGenerator gen(*m.model, cache, prompt, o);
  std::vector<int> got;
  for (int i = 0; i < 8; ++i) {
    got.push_back(gen.next().token);
  }
  // Until the cache holds quantized_kv_start tokens it is the float cache: mlx-lm's tokens.
  // After, the 8-bit cache moves logits by at most 0.25 (QuantizedKVCache's bound), less than
  // half the top-1 margins of steps 6-8 (1.28, 4.38, 4.34): still mlx-lm's tokens.
  EXPECT_EQ(got, std::vector<int>(want.begin(), want.begin() + 8));
  EXPECT_EQ(cache[0]->class_name(), "QuantizedKVCache");
  EXPECT_EQ(cache[0]->offset(), int(prompt.size()) + 7);
}

TEST(Generate, BadOptionsAreErrors) {
  auto& m = llama();
  GenerationOptions o;
  o.sampler.temp = -1;
  EXPECT_THROW(lm::generate(m, {1, 2}, o), std::invalid_argument);
  o = {};
  EXPECT_THROW(lm::generate(m, {}, o), std::invalid_argument);
  o.prefill_step_size = 0;
  EXPECT_THROW(lm::generate(m, {1}, o), std::invalid_argument);
  o = {};
  o.logits.logit_bias = {{512, 1.0f}};
  EXPECT_THROW(lm::generate(m, {1, 2}, o), std::invalid_argument);
  o = {};
  o.kv_bits = 7;
  EXPECT_THROW(lm::generate(m, {1, 2}, o), std::invalid_argument);
  o = {};
  o.sampler.top_p = 1.5f;
  EXPECT_THROW(lm::generate(m, {1, 2}, o), std::invalid_argument);
}

// Gemma 2's soft-capped attention has no quantized path: kv_bits is refused before the
// cache takes a token (not once quantized_kv_start is reached, mid-generation).
TEST(Generate, KvBitsTheModelCannotAttendOverIsRefusedUpFront) {
  auto m = lm::load(fixture("lm/gemma2"));
  GenerationOptions o;
  o.kv_bits = 8;
  o.kv_group_size = 32;
  o.quantized_kv_start = 1000;
  lm::Cache cache = m.model->make_cache();
  EXPECT_THROW(lm::TokenGenerator(*m.model, cache, {1, 2, 3}, o), Unsupported);
  EXPECT_EQ(cache[0]->offset(), 0);
  o.kv_bits.reset();
  EXPECT_NO_THROW(lm::TokenGenerator(*m.model, cache, {1, 2, 3}, o));
}

TEST(Generate, ErrorsFoundAgainstTheVocabularyLeaveTheCacheAsItWas) {
  const auto g = greedy_golden("llama");
  auto& m = llama();
  GenerationOptions o;
  o.max_tokens = 3;
  const auto prompt = g["prompt_ids"].get<std::vector<int>>();
  auto ids = [](const lm::GenerationResult& r) {
    std::vector<int> out;
    for (const auto& t : r.tokens) {
      out.push_back(t.token);
    }
    return out;
  };
  // Reference: the prompt, then a second turn of new tokens.
  lm::Cache ref = m.model->make_cache();
  lm::generate(m, prompt, o, {}, &ref);
  const auto want = ids(lm::generate(m, {5, 6, 7}, o, {}, &ref));

  lm::Cache cache = m.model->make_cache();
  lm::generate(m, prompt, o, {}, &cache);
  const int held = cache[0]->offset();
  GenerationOptions bias = o;
  bias.logits.logit_bias = {{512, 1.0f}};  // the vocabulary is 512
  EXPECT_THROW(lm::generate(m, {5, 6, 7}, bias, {}, &cache), std::invalid_argument);
  EXPECT_EQ(cache[0]->offset(), held);
  GenerationOptions xtc = o;
  xtc.sampler.temp = 1;
  xtc.sampler.xtc_probability = 0.5f;
  xtc.sampler.xtc_threshold = 0.1f;
  xtc.sampler.xtc_special_tokens = {3, 512};
  EXPECT_THROW(lm::generate(m, {5, 6, 7}, xtc, {}, &cache), std::invalid_argument);
  EXPECT_EQ(cache[0]->offset(), held);
  EXPECT_THROW(lm::generate(m, {5, 512, 7}, o, {}, &cache), std::invalid_argument);
  EXPECT_THROW(lm::generate(m, {-1}, o, {}, &cache), std::invalid_argument);
  EXPECT_EQ(cache[0]->offset(), held);
  EXPECT_EQ(ids(lm::generate(m, {5, 6, 7}, o, {}, &cache)), want);
}

TEST(Generate, AKvGroupSizeTheHeadsRejectFailsBeforeAnyToken) {
  const lm::LoadedModel m = lm::load(fixture("lm/qwen3"));  // head_dim 32
  lm::GenerationOptions o;
  o.kv_bits = 4;
  o.kv_group_size = 64;
  // Quantizing would start mid-prefill, after two chunks had filled the cache.
  o.quantized_kv_start = 4;
  o.prefill_step_size = 2;
  lm::Cache cache = m.model->make_cache();
  EXPECT_THROW(lm::generate(m, {5, 6, 7, 8, 9, 10, 11, 12}, o, {}, &cache), std::invalid_argument);
  EXPECT_EQ(cache[0]->offset(), 0);
  EXPECT_EQ(cache[0]->class_name(), "KVCache");
}

TEST(Generate, ATokenIsReportedEvenWhenTheNextOneFails) {
  auto& m = llama();
  GenerationOptions o;
  o.max_tokens = 3;
  std::vector<int> seen;
  int calls = 0;
  EXPECT_THROW(
      lm::stream_generation(
          m, 0, o,
          [&] {
            if (++calls == 2) {
              throw std::runtime_error("model failed");
            }
            return lm::GeneratedToken{*m.tokenizer->token_to_id("a"), 0.0f, {}};
          },
          [] { return 0.0; }, {},
          [&](const lm::GeneratedToken& t, const std::string&) { seen.push_back(t.token); }),
      std::runtime_error);
  EXPECT_EQ(seen, std::vector<int>{*m.tokenizer->token_to_id("a")});
}

TEST(Generate, CancellationStaysTheReasonWhenTheEndCompletesAStopString) {
  auto& m = llama();
  const int lone = *m.tokenizer->token_to_id("\u00e2");  // released as U+FFFD at the end
  std::atomic<bool> cancel{false};
  GenerationOptions o;
  o.max_tokens = 4;
  o.cancel = &cancel;
  o.stop_strings = {"\xEF\xBF\xBD"};
  const auto r = lm::stream_generation(
      m, 0, o,
      [&] {
        cancel = true;
        return lm::GeneratedToken{lone, 0.0f, {}};
      },
      [] { return 0.0; }, {});
  EXPECT_EQ(r.tokens.size(), 1u);
  EXPECT_EQ(r.finish_reason, "cancelled");
  EXPECT_EQ(r.text, "");
}

TEST(Generate, TokensTheTokenizerLacksAddNoText) {
  auto& m = llama();
  // A padded embedding row (id 600: the tokenizer has 512), then "a" and "b".
  const std::vector<int> feed = {600, *m.tokenizer->token_to_id("a"),
                                 *m.tokenizer->token_to_id("b")};
  size_t i = 0;
  GenerationOptions o;
  o.max_tokens = 3;
  const auto r = lm::stream_generation(
      m, 0, o,
      [&] {
        return lm::GeneratedToken{feed[i++], 0.0f, {}};
      },
      [] { return 0.0; }, {});
  EXPECT_EQ(r.text, "ab");
  ASSERT_EQ(r.tokens.size(), 3u);
  EXPECT_EQ(r.tokens[0].token, 600);
  EXPECT_EQ(r.finish_reason, "length");
}

TEST(Generate, OnTokenSeesEveryTokenWithTheTextItCompleted) {
  auto& m = llama();
  // "\u00e2" is a lone first byte of a three-byte character: it completes no text, and
  // the replacement character the end releases for it joins the last token's text.
  const int lone = *m.tokenizer->token_to_id("\u00e2");
  const std::vector<int> feed = {*m.tokenizer->token_to_id("a"), lone, 600,
                                 *m.tokenizer->token_to_id("b"), lone};
  size_t i = 0;
  GenerationOptions o;
  o.max_tokens = int(feed.size());
  std::vector<std::pair<int, std::string>> seen;
  const auto r = lm::stream_generation(
      m, 0, o,
      [&] {
        return lm::GeneratedToken{feed[i++], 0.0f, {}};
      },
      [] { return 0.0; }, {},
      [&](const lm::GeneratedToken& t, const std::string& text) {
        seen.emplace_back(t.token, text);
      });
  ASSERT_EQ(seen.size(), feed.size());
  for (size_t k = 0; k < feed.size(); ++k) {
    EXPECT_EQ(seen[k].first, feed[k]) << k;
  }
  // 0xE2 then "b" is not UTF-8: "b" releases U+FFFD and itself.
  EXPECT_EQ(seen[0].second, "a");
  EXPECT_EQ(seen[1].second, "");
  EXPECT_EQ(seen[2].second, "");
  EXPECT_EQ(seen[3].second,
            "\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(seen[4].second, "\xEF\xBF\xBD");
  EXPECT_EQ(r.text,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

TEST(Generate, AStopStringInTheFinalBytesStopsGeneration) {
  auto& m = llama();
  // Byte-level BPE: "\u00e2" is the token of the lone byte 0xE2, a three-byte character's
  // first byte; at the end the detokenizer releases it as U+FFFD, the stop string here.
  const int lone = *m.tokenizer->token_to_id("\u00e2");
  GenerationOptions o;
  o.max_tokens = 1;
  o.stop_strings = {"\xEF\xBF\xBD"};
  const auto r = lm::stream_generation(
      m, 0, o,
      [&] {
        return lm::GeneratedToken{lone, 0.0f, {}};
      },
      [] { return 0.0; }, {});
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(r.finish_reason, "stop");
  o.stop_strings = {};
  EXPECT_EQ(lm::stream_generation(
                m, 0, o,
                [&] {
                  return lm::GeneratedToken{lone, 0.0f, {}};
                },
                [] { return 0.0; }, {})
                .text,
            "\xEF\xBF\xBD");
}

// ------------------------------------------------------------------ samplers

array logprobs_of(const std::vector<float>& p) {
  return log(array(p.begin(), {1, int(p.size())}, float32));
}

std::vector<float> values(array a) {
  a = reshape(astype(a, float32), {-1});
  a.eval();
  return {a.data<float>(), a.data<float>() + a.size()};
}

TEST(Sampler, FiltersKeepWhatMlxLmKeeps) {
  const array lp = logprobs_of({0.05f, 0.5f, 0.15f, 0.3f});
  auto kept = [](const std::vector<float>& v) {
    std::vector<bool> k;
    for (float x : v)
      k.push_back(std::isfinite(x));
    return k;
  };
  EXPECT_EQ(kept(values(lm::apply_top_k(lp, 2))), (std::vector<bool>{false, true, false, true}));
  // Ascending cumulative: 0.05, 0.2, 0.5, 1.0; top_p 0.9 keeps those above 0.1.
  EXPECT_EQ(kept(values(lm::apply_top_p(lp, 0.9f))), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(kept(values(lm::apply_top_p(lp, 0.6f))), (std::vector<bool>{false, true, false, true}));
  // min_p 0.2: threshold 0.5 * 0.2 = 0.1.
  EXPECT_EQ(kept(values(lm::apply_min_p(lp, 0.2f))), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(kept(values(lm::apply_min_p(lp, 0.9f, 3))),
            (std::vector<bool>{false, true, true, true}));
  // XTC with probability 1: every token above 0.1 but the least likely of them goes.
  EXPECT_EQ(kept(values(lm::apply_xtc(lp, 1.0f, 0.1f, {}, random::key(0)))),
            (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(kept(values(lm::apply_xtc(lp, 1.0f, 0.1f, {1}, random::key(0)))),
            (std::vector<bool>{true, true, true, false}));
  // Kept entries keep their values.
  EXPECT_FLOAT_EQ(values(lm::apply_top_k(lp, 2))[1], std::log(0.5f));
  EXPECT_THROW(lm::apply_top_k(lp, 4), std::invalid_argument);
  EXPECT_THROW(lm::apply_min_p(lp, 1.5f), std::invalid_argument);
}

// Frequencies of n draws within 4.5 standard deviations of the expected probabilities.
void expect_frequencies(lm::SamplerOptions o, const std::vector<float>& p,
                        const std::vector<double>& want, int n = 4000) {
  lm::Sampler s(o);
  const array lp = logprobs_of(p);
  std::vector<int> counts(p.size(), 0);
  for (int i = 0; i < n; ++i) {
    counts[s.sample(lp)]++;
  }
  for (size_t i = 0; i < p.size(); ++i) {
    const double sigma = std::sqrt(want[i] * (1 - want[i]) / n);
    EXPECT_NEAR(double(counts[i]) / n, want[i], 4.5 * sigma + 1e-9) << "token " << i;
  }
}

TEST(Sampler, DrawsFollowTheFilteredTemperedDistribution) {
  const std::vector<float> p = {0.05f, 0.5f, 0.15f, 0.3f};
  lm::SamplerOptions o;
  o.temp = 1.0f;
  o.seed = 7;
  expect_frequencies(o, p, {0.05, 0.5, 0.15, 0.3});
  o.temp = 0.5f;  // p^2, renormalised
  const double z = 0.0025 + 0.25 + 0.0225 + 0.09;
  expect_frequencies(o, p, {0.0025 / z, 0.25 / z, 0.0225 / z, 0.09 / z});
  o.temp = 1.0f;
  o.top_k = 2;
  expect_frequencies(o, p, {0, 0.625, 0, 0.375});
  o.top_k = 0;
  o.xtc_probability = 1.0f;
  expect_frequencies(o, p, {0.25, 0, 0.75, 0});
}

// No distribution left to sample is an error, never an arbitrary token: NaN (a +inf logit
// gives NaN log-probabilities), nothing finite, another shape. A tiny top_p keeps the most
// likely token (1 - top_p rounds to 1); temperatures whose inverse overflows, non-finite
// penalties and a NaN top_p are rejected.
TEST(Sampler, BrokenInputsAreErrors) {
  const array lp = logprobs_of({0.05f, 0.5f, 0.15f, 0.3f});
  for (const float temp : {0.0f, 1.0f}) {
    lm::SamplerOptions o;
    o.temp = temp;
    lm::Sampler s(o);
    EXPECT_THROW(s.sample(array({0.0f, NAN, -1.0f, -2.0f})), std::invalid_argument);
    EXPECT_THROW(s.sample(full({4}, -INFINITY)), std::invalid_argument);
    EXPECT_THROW(s.sample(zeros({2, 4})), std::invalid_argument);
    EXPECT_EQ(s.sample(array({-INFINITY, 0.0f, -INFINITY, -INFINITY})), 1);
  }
  // A failed call leaves the random stream as it was.
  lm::SamplerOptions seeded;
  seeded.temp = 1.0f;
  seeded.seed = 9;
  seeded.xtc_probability = 0.5f;
  lm::Sampler a(seeded), b(seeded);
  EXPECT_THROW(a.sample(array({0.0f, NAN, -1.0f, -2.0f})), std::invalid_argument);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(a.sample(lp), b.sample(lp)) << "draw " << i;
  }
  lm::SamplerOptions o;
  o.temp = 1.0f;
  o.top_p = 1e-9f;
  lm::Sampler tiny(o);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(tiny.sample(lp), 1);
  }
  o.top_p = 1.0f;
  o.temp = 1e-39f;
  EXPECT_THROW(lm::Sampler{o}, std::invalid_argument);
  EXPECT_THROW(lm::apply_top_p(lp, NAN), std::invalid_argument);
  lm::LogitsOptions l;
  l.presence_penalty = NAN;
  EXPECT_THROW(lm::validate(l, 4), std::invalid_argument);
  l = {};
  l.frequency_penalty = -INFINITY;
  EXPECT_THROW(lm::validate(l, 4), std::invalid_argument);
  l = {};
  l.repetition_penalty = INFINITY;
  EXPECT_THROW(lm::validate(l, 4), std::invalid_argument);
}

TEST(Sampler, SeedsMakeRunsReproducible) {
  const array lp = logprobs_of({0.25f, 0.25f, 0.25f, 0.25f});
  auto run = [&](uint64_t seed) {
    lm::SamplerOptions o;
    o.temp = 1.0f;
    o.seed = seed;
    lm::Sampler s(o);
    std::vector<int> out;
    for (int i = 0; i < 64; ++i)
      out.push_back(s.sample(lp));
    return out;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(Sampler, LogitsProcessorsAsMlxLm) {
  const array logits = array({2.0f, -2.0f, 1.0f, 0.5f}, {1, 4});
  lm::LogitsOptions o;
  o.repetition_penalty = 2.0f;
  EXPECT_EQ(values(lm::process_logits(logits, {0, 1, 1}, o)),
            (std::vector<float>{1.0f, -4.0f, 1.0f, 0.5f}));
  o = {};
  o.repetition_penalty = 2.0f;
  o.repetition_context_size = 1;  // only the last token
  EXPECT_EQ(values(lm::process_logits(logits, {0, 1}, o)),
            (std::vector<float>{2.0f, -4.0f, 1.0f, 0.5f}));
  o = {};
  o.presence_penalty = 0.5f;
  EXPECT_EQ(values(lm::process_logits(logits, {2, 2, 3}, o)),
            (std::vector<float>{2.0f, -2.0f, 0.5f, 0.0f}));
  o = {};
  o.frequency_penalty = 0.5f;
  EXPECT_EQ(values(lm::process_logits(logits, {2, 2, 3}, o)),
            (std::vector<float>{2.0f, -2.0f, 0.0f, 0.0f}));
  o = {};
  o.logit_bias = {{1, 3.0f}, {3, -0.5f}};
  EXPECT_EQ(values(lm::process_logits(logits, {}, o)),
            (std::vector<float>{2.0f, 1.0f, 1.0f, 0.0f}));
  EXPECT_THROW(lm::validate(o, 2), std::invalid_argument);
}

TEST(StopStrings, HoldBackOnlyPossibleStarts) {
  lm::StopStringFilter f({"</s>", "STOP"});
  EXPECT_EQ(f.push("Hello <"), "Hello ");
  EXPECT_EQ(f.push("/"), "");
  EXPECT_EQ(f.push("x"), "</x");  // not a stop string after all
  EXPECT_EQ(f.push(" ST"), " ");
  EXPECT_EQ(f.push("OP and more"), "");
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.push("later"), "");
  lm::StopStringFilter g({"ab"});
  EXPECT_EQ(g.push("xa"), "x");
  EXPECT_EQ(g.flush(), "a");
}

}  // namespace
}  // namespace mlxcpp::test
