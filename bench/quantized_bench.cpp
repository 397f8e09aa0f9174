// Quantized matmul, the kernel that decides LM decode speed.
//
// GEMV (one activation row against a 4096 x 4096 or 11008 x 4096 weight, affine, group
// size 64) is memory-bound, so it is reported as GB/s of weight bytes (packed words,
// scales and biases) beside the machine's read bandwidth: a sum over a buffer of the same
// size on the same thread pool, measured in the same run (BM_ReadBandwidth). Each runs
// twice: on one weight (arg 2 = 1), which stays in the last-level cache when it fits, and
// cycling through copies that together exceed 256 MiB (arg 2 = 0), which is what a model's
// decode step sees: every weight comes from DRAM. GEMM (M = 512, prefill) is reported as
// GFLOP/s.
//
//   env -u OPENBLAS_CORETYPE build/release/bench/quantized_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "mlxcpp/backend/cpu/threadpool.h"
#include "mlxcpp/mlxcpp.h"

namespace mx = mlxcpp;

namespace {

constexpr int kGroup = 64;

struct QuantizedWeight {
  std::vector<mx::array> parts;  // packed words, scales, biases
  double bytes = 0;
};

QuantizedWeight make_weight(int n, int k, int bits, mx::Dtype dtype = mx::float16) {
  auto w = mx::astype(mx::random::normal({n, k}, mx::random::key(7)) * 0.05f, dtype);
  QuantizedWeight q;
  q.parts = mx::quantize(w, kGroup, bits);
  mx::eval(q.parts);
  for (const auto& p : q.parts) {
    q.bytes += double(p.nbytes());
  }
  return q;
}

constexpr double kStreamBytes = 256.0 * (1 << 20);

// How many copies of `bytes` a run cycles through: 1 when cached, enough to pass 256 MiB
// otherwise.
int copies_for(double bytes, bool cached) {
  return cached ? 1 : int(kStreamBytes / bytes) + 1;
}

// One n x k weight (`bits`, scales and biases in `dtype`), or enough copies to cycle through
// so that every use comes from DRAM.
std::vector<QuantizedWeight> weight_copies(int n, int k, int bits, mx::Dtype dtype, bool cached) {
  std::vector<QuantizedWeight> ws{make_weight(n, k, bits, dtype)};
  const int copies = copies_for(ws[0].bytes, cached);
  for (int i = 1; i < copies; ++i) {
    ws.push_back(make_weight(n, k, bits, dtype));
  }
  return ws;
}

// `copies` buffers of `words` words each, filled, for the read benchmarks.
std::vector<uint64_t> read_buffers(size_t words, int copies) {
  std::vector<uint64_t> buf(words * size_t(copies));
  for (size_t i = 0; i < buf.size(); ++i) {
    buf[i] = i * 0x9E3779B97F4A7C15ull;
  }
  return buf;
}

// Sums `words` words from p on the pool (4 chains per chunk), adding the sum to total.
void read_words(const uint64_t* p, size_t words, std::atomic<uint64_t>& total) {
  mx::cpu::parallel_for(int64_t(words), 1 << 14, [&](int64_t b, int64_t e) {
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = b;
    for (; i + 4 <= e; i += 4) {
      s0 += p[i];
      s1 += p[i + 1];
      s2 += p[i + 2];
      s3 += p[i + 3];
    }
    for (; i < e; ++i) {
      s0 += p[i];
    }
    total.fetch_add(s0 + s1 + s2 + s3, std::memory_order_relaxed);
  });
}

// One activation row of `dtype` against n x k weights (`bits`, the same dtype's scales and
// biases): one weight, or enough copies cycled through to come from DRAM.
void run_gemv(benchmark::State& state, int n, int k, int bits, mx::Dtype dtype, bool cached) {
  const std::vector<QuantizedWeight> ws = weight_copies(n, k, bits, dtype, cached);
  auto x = mx::astype(mx::random::normal({1, k}, mx::random::key(3)), dtype);
  mx::eval(x);
  size_t next = 0;
  for (auto _ : state) {
    const auto& q = ws[next];
    next = (next + 1) % ws.size();
    auto y = mx::quantized_matmul(x, q.parts[0], q.parts[1], q.parts[2], true, kGroup, bits);
    y.eval();
  }
  state.counters["weight GB/s"] = benchmark::Counter(ws[0].bytes * double(state.iterations()) / 1e9,
                                                     benchmark::Counter::kIsRate);
}

// args: N (output rows), bits, cached, activation dtype (0 float16; 1 bfloat16, as
// mlx-community models have it, with bfloat16 scales and biases)
void BM_QmmGemv(benchmark::State& state) {
  const int n = int(state.range(0));
  const int bits = int(state.range(1));
  const int k = 4096;
  const mx::Dtype dt = state.range(3) == 0 ? mx::float16 : mx::bfloat16;
  run_gemv(state, n, k, bits, dt, state.range(2) != 0);
}

// The cached 4096 x 4096 4-bit GEMV with float32 activations, scales and biases (arg 0;
// float16 and bfloat16 are BM_QmmGemv's 4th argument): the kernels split float32 x into
// three bfloat16 parts or convert it.
void BM_QmmGemvDtype(benchmark::State& state) {
  run_gemv(state, 4096, 4096, 4, mx::float32, true);
}

// The projections of a Qwen3-0.6B layer and its tied output head (args: N, K), 4-bit with bfloat16
// activations, scales and biases, every call from DRAM: at 0.5-2 MiB a call, fixed costs (waking
// the pool, preparing x) weigh as much as in a model's decode step.
void BM_QmmGemvSmall(benchmark::State& state) {
  const int n = int(state.range(0));
  const int k = int(state.range(1));
  run_gemv(state, n, k, 4, mx::bfloat16, false);
}

// A 4-bit weight small enough for one core's L2 (arg: N rows x 4096, bfloat16): the
// kernel's own rate, without DRAM or the last-level cache in the way.
void BM_QmmGemvL2(benchmark::State& state) {
  run_gemv(state, int(state.range(0)), 4096, 4, mx::bfloat16, true);
}

// args: N, bits, activation dtype (0 float16: the float path; 1 bfloat16: the AVX-512
// BF16 GEMM where the CPU has it); M = 512 (a prompt being prefilled)
void BM_QmmGemm(benchmark::State& state) {
  const int n = int(state.range(0));
  const int bits = int(state.range(1));
  const mx::Dtype dt = state.range(2) == 0 ? mx::float16 : mx::bfloat16;
  const int k = 4096;
  const int m = 512;
  const auto q = make_weight(n, k, bits, dt);
  auto x = mx::astype(mx::random::normal({m, k}, mx::random::key(3)), dt);
  mx::eval(x);
  for (auto _ : state) {
    auto y = mx::quantized_matmul(x, q.parts[0], q.parts[1], q.parts[2], true, kGroup, bits);
    y.eval();
  }
  const double flops = 2.0 * m * double(n) * k;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// One projection of a Qwen3-30B-A3B-shaped MoE layer (128 experts of 768 x 2048, 4-bit,
// bfloat16), each of T tokens (arg) routed to 8 distinct experts, as SwitchGLU calls it.
// At T = 1 it is decode (8 GEMVs); at T = 512 a prompt, where each expert serves ~32 rows.
void BM_GatherQmmMoe(benchmark::State& state) {
  const int t = int(state.range(0));
  constexpr int kExperts = 128, kTopK = 8, kOut = 768, kIn = 2048;
  auto w = mx::astype(mx::random::uniform({kExperts, kOut, kIn}, mx::random::key(7)) * 0.05f,
                      mx::bfloat16);
  const auto q = mx::quantize(w, kGroup, 4);
  // x [T, 1, 1, K] against indices [T, 8]: the batch axes [T, 1] and [T, 8] broadcast.
  auto x = mx::astype(mx::random::normal({t, 1, 1, kIn}, mx::random::key(3)), mx::bfloat16);
  // Distinct experts per token: the top 8 of random scores.
  auto scores = mx::random::uniform({t, kExperts}, mx::random::key(5));
  auto idx = mx::slice(mx::argpartition(scores, kExperts - kTopK, -1), {0, kExperts - kTopK},
                       {t, kExperts});
  mx::eval({q[0], q[1], q[2], x, idx});
  for (auto _ : state) {
    auto y = mx::gather_qmm(x, q[0], q[1], q[2], std::nullopt, idx, true, kGroup, 4);
    y.eval();
  }
  state.counters["tokens/s"] =
      benchmark::Counter(double(t) * double(state.iterations()), benchmark::Counter::kIsRate);
}

// A few activation rows (a short prompt, a chat turn, a speculative step) against one
// 4-bit N x 2048 weight, bfloat16 (args: M, N): where GEMV passes over blocks of 8 rows
// give way to dequantize + GEMM.
void BM_QmmRows(benchmark::State& state) {
  const int m = int(state.range(0)), n = int(state.range(1)), k = 2048;
  const auto q = make_weight(n, k, 4, mx::bfloat16);
  auto x = mx::astype(mx::random::normal({m, k}, mx::random::key(3)), mx::bfloat16);
  mx::eval(x);
  for (auto _ : state) {
    auto y = mx::quantized_matmul(x, q.parts[0], q.parts[1], q.parts[2], true, kGroup, 4);
    y.eval();
  }
  state.counters["rows/s"] =
      benchmark::Counter(double(m) * double(state.iterations()), benchmark::Counter::kIsRate);
}

// The machine's read bandwidth over a buffer as large as a q4 N x 4096 weight (args: N,
// cached), summed on the same pool the kernels use; uncached runs cycle through 256 MiB
// of such buffers as BM_QmmGemv does.
void BM_ReadBandwidth(benchmark::State& state) {
  const double bytes = make_weight(int(state.range(0)), 4096, 4).bytes;
  const int copies = copies_for(bytes, state.range(1) != 0);
  const size_t words = size_t(bytes) / sizeof(uint64_t);
  const std::vector<uint64_t> buf = read_buffers(words, copies);
  std::atomic<uint64_t> total{0};
  int next = 0;
  for (auto _ : state) {
    read_words(buf.data() + size_t(next) * words, words, total);
    next = (next + 1) % copies;
  }
  benchmark::DoNotOptimize(total.load());
  state.counters["read GB/s"] =
      benchmark::Counter(double(words * sizeof(uint64_t)) * double(state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
  state.counters["threads"] = mx::cpu::num_threads();
}

// The figure of merit, robust to the machine's bandwidth drifting over seconds
// (shared hosts do): every iteration times one 4-bit GEMV from DRAM and one read of a
// buffer of the same size from DRAM on the same pool, back to back, and the counters give
// both rates and their ratio. Args: N (x 4096), activation dtype (0 float16, 1 bfloat16);
// N = 256 and 768 are as many bytes as the 1024 x 1024 and 3072 x 1024 matrices of
// Qwen3-0.6B, where a call's fixed costs weigh more.
void BM_QmmGemvVsRead(benchmark::State& state) {
  const int n = int(state.range(0));
  const mx::Dtype dt = state.range(1) == 0 ? mx::float16 : mx::bfloat16;
  const std::vector<QuantizedWeight> ws = weight_copies(n, 4096, 4, dt, false);
  const size_t words = size_t(ws[0].bytes) / sizeof(uint64_t);
  const std::vector<uint64_t> buf = read_buffers(words, int(ws.size()));
  auto x = mx::astype(mx::random::normal({1, 4096}, mx::random::key(3)), dt);
  mx::eval(x);
  std::atomic<uint64_t> total{0};
  double gemv_s = 0, read_s = 0;
  size_t next = 0;
  for (auto _ : state) {
    const auto& q = ws[next];
    const uint64_t* p = buf.data() + next * words;
    next = (next + 1) % ws.size();
    const auto t0 = std::chrono::steady_clock::now();
    auto y = mx::quantized_matmul(x, q.parts[0], q.parts[1], q.parts[2], true, kGroup, 4);
    y.eval();
    const auto t1 = std::chrono::steady_clock::now();
    read_words(p, words, total);
    const auto t2 = std::chrono::steady_clock::now();
    gemv_s += std::chrono::duration<double>(t1 - t0).count();
    read_s += std::chrono::duration<double>(t2 - t1).count();
  }
  benchmark::DoNotOptimize(total.load());
  const double bytes = ws[0].bytes * double(state.iterations());
  state.counters["weight GB/s"] = bytes / gemv_s / 1e9;
  state.counters["read GB/s"] = bytes / read_s / 1e9;
  state.counters["ratio"] = read_s / gemv_s;
}

}  // namespace

BENCHMARK(BM_QmmGemvVsRead)
    ->ArgsProduct({{256, 768, 4096, 11008}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_ReadBandwidth)
    ->ArgsProduct({{4096, 11008}, {1, 0}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_QmmGemv)
    ->ArgsProduct({{4096, 11008}, {4, 8}, {1, 0}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_QmmGemvSmall)
    ->Args({1024, 1024})
    ->Args({2048, 1024})
    ->Args({3072, 1024})
    ->Args({1024, 3072})
    ->Args({151936, 1024})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_QmmGemvL2)->Arg(8)->Arg(128)->Arg(256)->UseRealTime();
BENCHMARK(BM_QmmGemvDtype)->Arg(0)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_QmmRows)
    ->ArgsProduct({{8, 9, 16, 17, 32}, {768, 8192}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_GatherQmmMoe)
    ->Arg(1)
    ->Arg(32)
    ->Arg(128)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_QmmGemm)
    ->ArgsProduct({{4096}, {4, 8}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
