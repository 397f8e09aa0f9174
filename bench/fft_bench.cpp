// FFT benchmarks: rfft of 3000 frames of 400 samples (a [3000, 400] float32
// array, the STFT shape of 30 s of 16 kHz audio with a 25 ms window), and
// complex FFTs of 2^20 points. Reported: frames (transforms) per second,
// the conventional FFT flop rate (5 N log2 N per complex transform, half
// that per real one), and the memory traffic (input + output bytes) as a
// ratio to std::memcpy's rate measured at start-up in the same run.
//
//   build/release/bench/fft_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "mlxcpp/mlxcpp.h"

namespace mx = mlxcpp;

namespace {

double memcpy_traffic_per_second = 0;

double measure_memcpy() {
  const size_t count = 1 << 24;
  std::vector<float> src(count, 1.0f), dst(count);
  std::memcpy(dst.data(), src.data(), count * sizeof(float));
  double best = 1e30;
  for (int rep = 0; rep < 10; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    std::memcpy(dst.data(), src.data(), count * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return 2.0 * count * sizeof(float) / best;
}

void set_counters(benchmark::State& state, double frames, double flops, double bytes) {
  const auto iters = static_cast<double>(state.iterations());
  state.counters["frames/s"] = benchmark::Counter(frames * iters, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * iters * 1e-9, benchmark::Counter::kIsRate);
  state.counters["x_memcpy"] =
      benchmark::Counter(bytes * iters / memcpy_traffic_per_second, benchmark::Counter::kIsRate);
}

mx::array random_frames(const mx::Shape& shape) {
  int64_t size = 1;
  for (auto d : shape) {
    size *= d;
  }
  std::vector<float> v(size);
  uint32_t s = 12345;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) / static_cast<float>(1 << 24) - 0.5f;
  }
  return mx::array(v.begin(), shape, mx::float32);
}

void BM_Rfft400x3000(benchmark::State& state) {
  constexpr int frames = 3000, n = 400;
  auto x = random_frames({frames, n});
  x.eval();
  for (auto _ : state) {
    auto y = mx::fft::rfft(x);
    y.eval();
  }
  set_counters(state, frames, frames * 2.5 * n * std::log2(n),
               frames * (n * 4.0 + (n / 2 + 1) * 8.0));
}

void BM_Fft2To20(benchmark::State& state) {
  constexpr int n = 1 << 20;
  auto x = mx::astype(random_frames({n}), mx::complex64);
  x.eval();
  for (auto _ : state) {
    auto y = mx::fft::fft(x);
    y.eval();
  }
  set_counters(state, 1, 5.0 * n * std::log2(n), n * 16.0);
}

void BM_Rfft2To20(benchmark::State& state) {
  constexpr int n = 1 << 20;
  auto x = random_frames({n});
  x.eval();
  for (auto _ : state) {
    auto y = mx::fft::rfft(x);
    y.eval();
  }
  set_counters(state, 1, 2.5 * n * std::log2(n), n * 4.0 + (n / 2 + 1) * 8.0);
}

}  // namespace

BENCHMARK(BM_Rfft400x3000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Fft2To20)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Rfft2To20)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  memcpy_traffic_per_second = measure_memcpy();
  std::printf("memcpy baseline: %.2f GB/s of traffic (read + write), threads: %d\n",
              memcpy_traffic_per_second / 1e9, mx::build_info().threads);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
