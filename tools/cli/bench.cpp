// `mlxcpp bench`: prompt processing (ppN) and generation (tgN) speed of random-weight models
// with real shapes, as llama-bench reports them, optionally at a context depth (tokens already
// in the KV cache, llama-bench's -d). Each thread count runs in a child process (the kernel
// pool's size is fixed per process by MLXCPP_NUM_THREADS).
#include <fmt/core.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>

#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/core/errors.h"
#include "mlxcpp/lm/generate.h"
#include "mlxcpp/lm/prompt_cache.h"
#include "mlxcpp/lm/random_weights.h"
#include "mlxcpp/mlxcpp.h"
#include "tools/cli/bench_shapes.h"
#include "tools/cli/commands.h"
#include "tools/cli/jsonl.h"

extern char** environ;

namespace mlxcpp::cli {

namespace {

struct BenchOptions {
  std::string models = "qwen3-0.6b,llama-1b";
  std::string quant = "q4,q8,bf16";
  std::string threads = "1,2";
  std::string tests = "pp512,tg128";
  int repetitions = 3;
  int depth = 0;  // tokens in the cache before each test
  bool json = false;
  bool worker = false;  // run in this process with the pool as it is
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (!part.empty()) {
      out.push_back(part);
    }
  }
  return out;
}

std::optional<nn::QuantSpec> quant_of(const std::string& q) {
  if (q == "q4")
    return nn::QuantSpec{64, 4, "affine"};
  if (q == "q8")
    return nn::QuantSpec{64, 8, "affine"};
  if (q == "bf16")
    return std::nullopt;
  throw std::invalid_argument("--quant: '" + q + "' is not q4, q8 or bf16");
}

// "pp512" -> {true, 512}; "tg128" -> {false, 128}.
std::pair<bool, int> parse_test(const std::string& t) {
  if (t.size() > 2 && (t.rfind("pp", 0) == 0 || t.rfind("tg", 0) == 0) &&
      t.find_first_not_of("0123456789", 2) == std::string::npos && t.size() < 9) {
    const int n = std::stoi(t.substr(2));
    if (n > 0) {
      return {t[0] == 'p', n};
    }
  }
  throw std::invalid_argument("--tests: '" + t + "' is not ppN or tgN");
}

array random_tokens(int n, int vocab, uint64_t seed) {
  return astype(random::randint(0, vocab, {1, n}, int32, random::key(seed)), int32);
}

// The cache a test starts from: empty, or holding `depth` random tokens, prefilled in
// chunks as generation prefills a prompt.
lm::Cache start_cache(lm::Model& model, int depth, int vocab) {
  lm::Cache cache = model.make_cache();
  const int chunk = lm::GenerationOptions{}.prefill_step_size;
  const array tokens = random_tokens(depth, vocab, 7);
  for (int i = 0; i < depth; i += chunk) {
    model(slice(tokens, {0, i}, {1, std::min(depth, i + chunk)}), &cache);
    lm::eval_cache(cache);
  }
  return cache;
}

// Seconds for one run of the test on `cache`, which it leaves as it found it: a run at
// depth 0 uses a fresh cache, a deeper one trims the test's tokens off again.
double run_once(lm::Model& model, lm::Cache& start, int depth, bool prompt, int n, int vocab,
                uint64_t seed) {
  lm::Cache fresh = depth == 0 ? model.make_cache() : lm::Cache{};
  lm::Cache& cache = depth == 0 ? fresh : start;
  const array tokens = random_tokens(prompt ? n : 1, vocab, seed);
  eval(tokens);
  const auto start_time = std::chrono::steady_clock::now();
  if (prompt) {
    // As generation prefills: every token but the last only fills the cache; the last
    // one's logits are computed.
    if (n > 1) {
      model(slice(tokens, {0, 0}, {1, n - 1}), &cache);
      lm::eval_cache(cache);
    }
    array logits = model(slice(tokens, {0, n - 1}, {1, n}), &cache);
    logits.eval();
  } else {
    array next = tokens;
    for (int i = 0; i < n; ++i) {
      array logits = model(next, &cache);
      next = reshape(astype(argmax(logits, -1), int32), {1, 1});
      next.eval();
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  if (depth > 0 && lm::trim_prompt_cache(cache, n) != n) {
    throw Error("[bench] cannot trim the test's tokens off the cache");
  }
  return seconds;
}

int run_worker(const BenchOptions& o) {
  const int threads = cpu::num_threads();
  for (const auto& name : split_list(o.models)) {
    auto it = bench_model_configs().find(name);
    if (it == bench_model_configs().end()) {
      throw std::invalid_argument("--models: '" + name + "' is not qwen3-0.6b or llama-1b");
    }
    for (const auto& q : split_list(o.quant)) {
      const lm::LoadedModel m = lm::random_model(it->second, bfloat16, quant_of(q));
      const int vocab = nlohmann::json::parse(it->second)["vocab_size"].get<int>();
      for (const auto& t : split_list(o.tests)) {
        const auto [prompt, n] = parse_test(t);
        lm::Cache cache = o.depth > 0 ? start_cache(*m.model, o.depth, vocab) : lm::Cache{};
        // One unmeasured run of the test first, as llama-bench makes: the first run of a
        // shape pays one-time costs (new buffers' first touches, the allocator's cache
        // filling). Qwen3 bfloat16 pp512 on 2 threads: +-60-72 t/s around ~535 over 3
        // repetitions without it, +-1-2 with it.
        run_once(*m.model, cache, o.depth, prompt, n, vocab, 1);
        std::vector<double> rates;
        for (int r = 0; r < o.repetitions; ++r) {
          rates.push_back(n / run_once(*m.model, cache, o.depth, prompt, n, vocab, 100 + r));
        }
        double mean = 0, var = 0;
        for (double x : rates)
          mean += x / rates.size();
        for (double x : rates)
          var += (x - mean) * (x - mean) / std::max<size_t>(1, rates.size() - 1);
        if (o.json) {
          nlohmann::ordered_json j = {{"model", name},
                                      {"quant", q},
                                      {"test", t},
                                      {"threads", threads},
                                      {"tokens_per_s", mean},
                                      {"stddev", std::sqrt(var)},
                                      {"repetitions", o.repetitions}};
          if (o.depth > 0) {
            j["depth"] = o.depth;
          }
          fmt::print("{}", json_line(j));
        } else {
          const std::string label = o.depth > 0 ? fmt::format("{} @ d{}", t, o.depth) : t;
          fmt::print("| {:<11} | {:<5} | {:>13} | {:>7} | {:>9.2f} ± {:<7.2f} |\n", name, q, label,
                     threads, mean, std::sqrt(var));
        }
        std::fflush(stdout);
      }
    }
  }
  return 0;
}

// Runs this program's bench as a worker with MLXCPP_NUM_THREADS=threads.
int run_child(const BenchOptions& o, int threads) {
  std::vector<std::string> args = {"mlxcpp",
                                   "bench",
                                   "--worker",
                                   "--models",
                                   o.models,
                                   "--quant",
                                   o.quant,
                                   "--tests",
                                   o.tests,
                                   "--repetitions",
                                   std::to_string(o.repetitions),
                                   "--depth",
                                   std::to_string(o.depth)};
  if (o.json) {
    args.push_back("--json");
  }
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("MLXCPP_NUM_THREADS=", 0) != 0)
      env_store.emplace_back(*e);
  }
  env_store.push_back("MLXCPP_NUM_THREADS=" + std::to_string(threads));
  std::vector<char*> envp;
  for (auto& e : env_store)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data()) != 0) {
    throw Error("[bench] cannot start a worker process");
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int run(const BenchOptions& o) {
  for (const auto& t : split_list(o.tests))
    parse_test(t);
  for (const auto& q : split_list(o.quant))
    quant_of(q);
  if (o.repetitions < 1) {
    throw std::invalid_argument("--repetitions must be positive");
  }
  if (o.depth < 0) {
    throw std::invalid_argument("--depth must not be negative");
  }
  if (o.worker) {
    return run_worker(o);
  }
  if (!o.json) {
    fmt::print("| model       | quant |          test | threads |         t/s         |\n");
    fmt::print("|-------------|-------|---------------|---------|---------------------|\n");
  }
  std::fflush(stdout);
  for (const auto& t : split_list(o.threads)) {
    int n = 0;
    try {
      n = std::stoi(t);
    } catch (const std::exception&) {
    }
    if (n < 1) {
      throw std::invalid_argument("--threads: '" + t + "' is not a positive count");
    }
    if (const int rc = run_child(o, n); rc != 0) {
      return rc;
    }
  }
  return 0;
}

}  // namespace

void register_bench(CLI::App& app, Action& action) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand(
      "bench", "Prompt (ppN) and generation (tgN) tokens/s of random-weight models");
  cmd->add_option("--models", o->models, "qwen3-0.6b, llama-1b (comma-separated)");
  cmd->add_option("--quant", o->quant, "q4, q8, bf16 (comma-separated)");
  cmd->add_option("--threads", o->threads, "Thread counts (comma-separated)");
  cmd->add_option("--tests", o->tests, "ppN and tgN tests (comma-separated)");
  cmd->add_option("--repetitions,-r", o->repetitions, "Runs per measurement");
  cmd->add_option("--depth,-d", o->depth,
                  "Tokens already in the KV cache when each test starts (llama-bench's -d)");
  cmd->add_flag("--json", o->json, "One JSON line per measurement");
  cmd->add_flag("--worker", o->worker, "Run in this process (internal)")->group("");
  cmd->callback([o, &action] { action = [o] { return run(*o); }; });
}

}  // namespace mlxcpp::cli
