// Core micro-benchmarks: elementwise add and exp, sum reduction and transpose
// copy on 16M float32 values, and the per-op overhead of evaluating a lazy
// graph. Bandwidth is reported as memory traffic (bytes read + written) per
// second and as a ratio to std::memcpy's traffic rate measured at start-up
// in the same run ("x_memcpy" = 1.0 means as fast as memcpy).
//
//   build/release/bench/core_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "mlxcpp/mlxcpp.h"

namespace mx = mlxcpp;

namespace {

constexpr int n = 1 << 24;  // 16M float32 = 64 MiB
double memcpy_traffic_per_second = 0;

// std::memcpy of n floats, traffic counted as read + write.
double measure_memcpy() {
  std::vector<float> src(n, 1.0f), dst(n);
  std::memcpy(dst.data(), src.data(), n * sizeof(float));  // touch pages
  double best = 1e30;
  for (int rep = 0; rep < 10; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    std::memcpy(dst.data(), src.data(), n * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return 2.0 * n * sizeof(float) / best;
}

void set_traffic(benchmark::State& state, double bytes_per_iter) {
  const double total = bytes_per_iter * static_cast<double>(state.iterations());
  state.counters["traffic"] =
      benchmark::Counter(total, benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
  state.counters["x_memcpy"] =
      benchmark::Counter(total / memcpy_traffic_per_second, benchmark::Counter::kIsRate);
}

void BM_Memcpy(benchmark::State& state) {
  std::vector<float> src(n, 1.0f), dst(n);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
  }
  set_traffic(state, 2.0 * n * sizeof(float));
}

void BM_Add(benchmark::State& state) {
  auto a = mx::ones({n});
  auto b = mx::ones({n});
  mx::eval(a, b);
  for (auto _ : state) {
    auto c = mx::add(a, b);
    c.eval();
  }
  set_traffic(state, 3.0 * n * sizeof(float));
}

void BM_Exp(benchmark::State& state) {
  auto a = mx::ones({n});
  a.eval();
  for (auto _ : state) {
    auto c = mx::exp(a);
    c.eval();
  }
  set_traffic(state, 2.0 * n * sizeof(float));
}

void BM_Sum(benchmark::State& state) {
  auto a = mx::ones({n});
  a.eval();
  for (auto _ : state) {
    auto c = mx::sum(a);
    c.eval();
  }
  set_traffic(state, 1.0 * n * sizeof(float));
}

void BM_SumAxis0(benchmark::State& state) {
  auto a = mx::ones({4096, 4096});
  a.eval();
  for (auto _ : state) {
    auto c = mx::sum(a, 0);
    c.eval();
  }
  set_traffic(state, 1.0 * n * sizeof(float));
}

void BM_TransposeCopy(benchmark::State& state) {
  auto a = mx::ones({4096, 4096});
  a.eval();
  for (auto _ : state) {
    auto c = mx::contiguous(mx::transpose(a));
    c.eval();
  }
  set_traffic(state, 2.0 * n * sizeof(float));
}

// Building and evaluating a chain of 100 small ops: the fixed cost per op.
void BM_GraphOverhead100Ops(benchmark::State& state) {
  auto x0 = mx::array(1.0f);
  for (auto _ : state) {
    auto x = x0;
    for (int i = 0; i < 100; ++i) {
      x = x + 1.0f;
    }
    x.eval();
  }
  state.counters["per_op"] =
      benchmark::Counter(100.0 * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Add)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Exp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Sum)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SumAxis0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TransposeCopy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GraphOverhead100Ops)->Unit(benchmark::kMicrosecond)->UseRealTime();

int main(int argc, char** argv) {
  memcpy_traffic_per_second = measure_memcpy();
  std::printf("memcpy baseline: %.2f GB/s of traffic (read + write), threads: %d\n",
              memcpy_traffic_per_second / 1e9, mx::build_info().threads);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
