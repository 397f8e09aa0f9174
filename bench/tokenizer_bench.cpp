// Tokenizer benchmarks: encode throughput on 10 MB of mixed-language text
// (the fixture corpus repeated), on one thread and batched over the thread
// pool, for each fixture tokenizer; and a linear-growth check on 100k
// repeats of one character. Throughput is bytes of input per second; the
// baseline in the same run is a UTF-8 validation pass over the same text
// ("x_utf8_scan" = encode speed / validation speed), and the batched runs
// also report their speed-up over one thread ("x_one_thread").
//
//   build/release/bench/tokenizer_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "mlxcpp/tokenizer/tokenizer.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace {

const char* const kTokenizers[] = {"qwen3", "gpt2", "mistral-7b", "bert-base-uncased",
                                   "albert-unigram"};

std::string fixture(const std::string& rel) {
  return std::string(MLXCPP_FIXTURES_DIR) + "/" + rel;
}

const mlxcpp::Tokenizer& tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<mlxcpp::Tokenizer>> cache;
  auto& slot = cache[name];
  if (!slot) {
    slot = std::make_unique<mlxcpp::Tokenizer>(
        mlxcpp::Tokenizer::from_folder(fixture("tokenizers/" + name)));
  }
  return *slot;
}

// 10 MB of the corpus's texts (18 scripts, code, emoji, ...), one per line.
const std::string& mixed_text() {
  static const std::string text = [] {
    std::ifstream in(fixture("tokenizers/corpus.json"));
    const auto corpus = nlohmann::json::parse(in);
    std::string t;
    while (t.size() < (10u << 20)) {
      for (const auto& c : corpus) {
        t += c["text"].get<std::string>();
        t += '\n';
      }
    }
    return t;
  }();
  return text;
}

// The same text cut into documents of about 4 KB at line ends.
const std::vector<std::string>& documents() {
  static const std::vector<std::string> docs = [] {
    std::vector<std::string> out;
    const std::string& t = mixed_text();
    size_t pos = 0;
    while (pos < t.size()) {
      size_t end = t.find('\n', std::min(pos + 4096, t.size() - 1));
      end = end == std::string::npos ? t.size() : end + 1;
      out.push_back(t.substr(pos, end - pos));
      pos = end;
    }
    return out;
  }();
  return docs;
}

double utf8_scan_bytes_per_second() {
  static const double rate = [] {
    const std::string& t = mixed_text();
    double best = 1e30;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(mlxcpp::tokenizer::utf8::is_valid(t));
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return static_cast<double>(t.size()) / best;
  }();
  return rate;
}

std::map<std::string, double>& one_thread_rates() {
  static std::map<std::string, double> rates;
  return rates;
}

// Bytes per second, and the ratio of that speed to the UTF-8 scan's (a plain number).
void report(benchmark::State& state, double bytes_per_iteration, double seconds) {
  const double total = bytes_per_iteration * static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(total));
  state.counters["x_utf8_scan"] = total / seconds / utf8_scan_bytes_per_second();
}

// Wall time of a benchmark's loop.
class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void BM_Encode(benchmark::State& state, const char* name) {
  const auto& tok = tokenizer(name);
  const std::string& text = mixed_text();
  size_t tokens = 0;
  const Stopwatch watch;
  for (auto _ : state) {
    const auto ids = tok.encode(text, false);
    tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  const double seconds = watch.seconds();
  one_thread_rates()[name] = static_cast<double>(text.size() * state.iterations()) / seconds;
  state.counters["tokens"] = static_cast<double>(tokens);
  report(state, static_cast<double>(text.size()), seconds);
}

void BM_EncodeBatch(benchmark::State& state, const char* name) {
  const auto& tok = tokenizer(name);
  const auto& docs = documents();
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const auto ids = tok.encode_batch(docs, false);
    benchmark::DoNotOptimize(ids.data());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rate = static_cast<double>(mixed_text().size() * state.iterations()) / seconds;
  if (auto it = one_thread_rates().find(name); it != one_thread_rates().end()) {
    state.counters["x_one_thread"] = rate / it->second;
  }
  report(state, static_cast<double>(mixed_text().size()), seconds);
}

// n repeats of one character: time must grow linearly with n (the reported
// BigO fit should be N, and time per byte flat across the two sizes).
void BM_RepeatedCharacter(benchmark::State& state, const char* name, const char* piece) {
  const auto& tok = tokenizer(name);
  std::string text;
  for (int64_t i = 0; i < state.range(0); ++i) {
    text += piece;
  }
  const Stopwatch watch;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tok.encode(text, false).data());
  }
  state.SetComplexityN(state.range(0));
  report(state, static_cast<double>(text.size()), watch.seconds());
}

void register_all() {
  for (const char* name : kTokenizers) {
    benchmark::RegisterBenchmark((std::string("Encode/") + name).c_str(), BM_Encode, name)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0)
        ->UseRealTime();
    benchmark::RegisterBenchmark((std::string("EncodeBatch/") + name).c_str(), BM_EncodeBatch, name)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0)
        ->UseRealTime();
  }
  for (const char* name : kTokenizers) {
    for (const auto& [label, piece] :
         {std::pair{"a", "a"}, std::pair{"space", " "}, std::pair{"cjk", "\xe4\xb8\xad"}}) {
      benchmark::RegisterBenchmark((std::string("RepeatedCharacter/") + name + "/" + label).c_str(),
                                   BM_RepeatedCharacter, name, piece)
          ->Arg(50'000)
          ->Arg(100'000)
          ->Complexity(benchmark::oN)
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
